// The rows a `Read` list admits are `Read` permits: they do not open `Delete`.
use auth_core::filter::Filter;
use auth_core::{Action, Authenticated, FilterPolicy, Permit, Resource};

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

fn delete(_: Permit<'_, Delete, Note>) {}

fn list(user: &Authenticated<()>) {
    let list = user.authorize_list::<Read, Note>(&()).unwrap();
    delete(list.admit(Note { id: 1 }).unwrap());
}

fn main() {}
