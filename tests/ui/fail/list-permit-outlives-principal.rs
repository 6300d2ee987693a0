// A list permit borrows its principal: it cannot outlive the request, nor be
// kept to admit rows for a later caller.
use auth_core::filter::Filter;
use auth_core::{Action, Authenticated, FilterPolicy, ListPermit, Resource};

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

impl FilterPolicy<Note> for Read {
    type Principal = ();
    type State = ();
    fn filter(_: &Authenticated<()>, (): &()) -> Filter<Note> {
        Filter::all()
    }
}

fn keep(user: Authenticated<()>) -> ListPermit<'static, Read, Note> {
    user.authorize_list::<Read, Note>(&()).unwrap()
}

fn main() {}
