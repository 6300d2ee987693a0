// A list permit for one action does not open a query for another.
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
#[derive(Action)]
struct Delete;

impl FilterPolicy<Note> for Read {
    type Principal = ();
    type State = ();
    fn filter(_: &Authenticated<()>, (): &()) -> Filter<Note> {
        Filter::all()
    }
}

fn delete_listed(_: &ListPermit<'_, Delete, Note>) {}

fn list(user: &Authenticated<()>) {
    let read = user.authorize_list::<Read, Note>(&()).unwrap();
    delete_listed(&read);
}

fn main() {}
