async fn update_order(
    user: Authenticated<User>,
    order: Order,
    Json(change): Json<Change>,
) -> ::auth_core::Guarded<Result<Json<Order>, ApiError>> {
    const __AUTH_HANDLER: ::auth_core::inventory::HandlerInfo = ::auth_core::inventory::HandlerInfo::guarded(
        "update_order",
        ::core::module_path!(),
        ::core::file!(),
        ::core::line!(),
        &["role(\"customer\")", "scope(\"orders:write\")", "Update(order)"],
    );
    ::auth_core::__private::inventory::submit! {
        __AUTH_HANDLER
    }
    #[allow(clippy::used_underscore_binding)]
    let __auth_gate = ::auth_core::Gatekeeper::new(&user, &__AUTH_HANDLER);
    if let ::core::result::Result::Err(__auth_err) = __auth_gate
        .check(0, ::auth_core::gate::role(__auth_gate.principal(), "customer"))
    {
        return ::auth_core::Guarded::denied_to(__auth_gate.principal(), __auth_err);
    }
    if let ::core::result::Result::Err(__auth_err) = __auth_gate
        .check(1, ::auth_core::gate::scope(__auth_gate.principal(), "orders:write"))
    {
        return ::auth_core::Guarded::denied_to(__auth_gate.principal(), __auth_err);
    }
    let order = match __auth_gate
        .resource(2, order, &())
        .authorize_async::<Update>()
        .await
    {
        ::core::result::Result::Ok(__auth_permit) => __auth_permit,
        ::core::result::Result::Err(__auth_err) => {
            return ::auth_core::Guarded::denied_to(__auth_gate.principal(), __auth_err);
        }
    };
    let __auth_clearance = __auth_gate.clear();
    ::auth_core::Guarded::new(
        __auth_clearance,
        ::auth_core::__private::output::<
            Result<Json<Order>, ApiError>,
            _,
        >(async move {
                let saved = save(&order, change)?;
                Ok(Json(saved))
            })
            .await,
    )
}
