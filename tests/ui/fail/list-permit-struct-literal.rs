// A list permit cannot be built by hand: its fields are private, so it comes
// only from `authorize_list`, which asks the rule.
use auth_core::filter::Filter;
use auth_core::{Action, ListPermit, Resource};

struct Note {
    id: i64,
}
impl Resource for Note {
    const KIND: &'static str = "note";
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

#[derive(Action)]
struct Read;

fn forge(info: &auth_core::AuthInfo) -> ListPermit<'_, Read, Note> {
    ListPermit {
        filter: Filter::all(),
        principal: info,
        action: std::marker::PhantomData,
    }
}

fn main() {}
