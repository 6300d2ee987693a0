// The explicit opt-out: registered in the inventory, output `Guarded<R>`.
#[public]
fn health() -> &'static str {
    "ok"
}
