//! The gates' text as the macro records it ([`Entry::gates`](crate::inventory::Entry::gates)):
//! the pieces its readers share (the roles file's reach, the OpenAPI writer).

/// The string of a `Debug`-quoted literal, `"admin"`; `None` if `text` is not
/// exactly one (a name with escapes is not a name a gate declares anyway).
pub(crate) fn unquote(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['"', '\\'])).then(|| inner.to_owned())
}

/// `text` split at the commas outside parentheses and string literals; `None`
/// when they do not balance.
pub(crate) fn split_top_level(text: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 => {
                parts.push(text.get(start..i)?);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 || in_string {
        return None;
    }
    parts.push(text.get(start..)?);
    Some(parts)
}
