// An axum-style handler: a role, a scope and a resource gate. Its output becomes
// `Guarded<R>`, its body moves into an `async move` block.
#[requires(role("customer"), scope("orders:write"), Update(order))]
async fn update_order(user: Authenticated<User>, order: Order, Json(change): Json<Change>) -> Result<Json<Order>, ApiError> {
    let saved = save(&order, change)?;
    Ok(Json(saved))
}
