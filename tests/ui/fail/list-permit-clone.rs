// A list permit is not `Clone`: one list, one decision, one audit event.
use auth_core::filter::Filter;
use auth_core::{Action, Authenticated, FilterPolicy, Resource};

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

fn list(user: &Authenticated<()>) {
    let list = user.authorize_list::<Read, Note>(&()).unwrap();
    let _copy = list.clone();
}

fn main() {}
