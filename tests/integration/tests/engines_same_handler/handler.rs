// The handler, written once: `engines_same_handler.rs` includes this file,
// unchanged, into one module per engine. Each module declares its own `Edit`
// and its policy; nothing here names an engine.

/// Edits a document: the owner or an editor may.
#[requires(Edit(doc), state = engine)]
pub async fn edit(user: Authenticated<User>, doc: Doc, engine: &Engine) -> String {
    // `doc` is a `Permit<Edit, Doc>` here, whichever engine allowed it.
    format!("{} edited document {}", user.subject(), doc.id)
}
