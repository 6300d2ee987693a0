async fn update_order(
    user: Authenticated<User>,
    order: Order,
    Json(change): Json<Change>,
) -> ::auth_core::Guarded<Result<Json<Order>, ApiError>, Authenticated<User>> {
    let __auth_handler: &'static ::auth_core::inventory::HandlerInfo = {
        #[allow(clippy::used_underscore_binding, clippy::unnecessary_wraps)]
        fn __auth_early_gates__in_a_generic_impl_write_early_false(
            __auth_record: &'static ::auth_core::inventory::HandlerInfo,
            __auth_caller: &(dyn ::core::any::Any + ::core::marker::Send + ::core::marker::Sync),
        ) -> ::core::result::Result<(), ::auth_core::AuthError> {
            let ::core::option::Option::Some(__auth_caller) = __auth_caller
                .downcast_ref::<Authenticated<User>>() else {
                return ::core::result::Result::Ok(());
            };
            #[allow(unused_mut)]
            let mut __auth_gate = ::auth_core::Gatekeeper::new(
                __auth_caller,
                __auth_record,
            );
            __auth_gate.admit()?;
            {
                #[allow(unused_variables, clippy::shadow_unrelated)]
                let __auth_principal = __auth_gate.principal();
                let __auth_decision = ::auth_core::gate::role(
                    __auth_principal,
                    "customer",
                );
                if !__auth_decision.is_allowed() {
                    __auth_gate.check(0, __auth_decision)?;
                }
            }
            {
                #[allow(unused_variables, clippy::shadow_unrelated)]
                let __auth_principal = __auth_gate.principal();
                let __auth_decision = ::auth_core::gate::scope(
                    __auth_principal,
                    "orders:write",
                );
                if !__auth_decision.is_allowed() {
                    __auth_gate.check(1, __auth_decision)?;
                }
            }
            ::core::result::Result::Ok(())
        }
        fn __auth_path() -> &'static str {
            ::core::any::type_name_of_val(&__auth_path)
        }
        static __AUTH_HANDLER: ::auth_core::inventory::HandlerInfo = ::auth_core::inventory::HandlerInfo::guarded(
                "update_order",
                ::core::module_path!(),
                ::core::file!(),
                ::core::line!(),
                &["role(\"customer\")", "scope(\"orders:write\")", "Update(order)"],
            )
            .early(__auth_early_gates__in_a_generic_impl_write_early_false)
            .at(__auth_path);
        ::auth_core::__private::inventory::submit! {
            ::auth_core::inventory::Registration::new(& __AUTH_HANDLER)
        }
        &__AUTH_HANDLER
    };
    #[allow(clippy::used_underscore_binding)]
    let mut __auth_gate = ::auth_core::Gatekeeper::new(&user, __auth_handler);
    if let ::core::result::Result::Err(__auth_err) = __auth_gate.admit() {
        return __auth_gate.deny(__auth_err);
    }
    #[allow(unused_variables, clippy::shadow_unrelated)]
    let __auth_principal = __auth_gate.principal();
    let __auth_decision = ::auth_core::gate::role(__auth_principal, "customer");
    if let ::core::result::Result::Err(__auth_err) = __auth_gate
        .check(0, __auth_decision)
    {
        return __auth_gate.deny(__auth_err);
    }
    #[allow(unused_variables, clippy::shadow_unrelated)]
    let __auth_principal = __auth_gate.principal();
    let __auth_decision = ::auth_core::gate::scope(__auth_principal, "orders:write");
    if let ::core::result::Result::Err(__auth_err) = __auth_gate
        .check(1, __auth_decision)
    {
        return __auth_gate.deny(__auth_err);
    }
    #[allow(unused_variables, clippy::shadow_unrelated)]
    let __auth_gatekeeper = &mut __auth_gate;
    let order = match __auth_gatekeeper
        .resource(2, order, &())
        .authorize_async::<Update>()
        .await
    {
        ::core::result::Result::Ok(__auth_permit) => __auth_permit,
        ::core::result::Result::Err(__auth_err) => return __auth_gate.deny(__auth_err),
    };
    let __auth_clearance = match __auth_gate.clear() {
        ::core::result::Result::Ok(__auth_clearance) => __auth_clearance,
        ::core::result::Result::Err(__auth_refusal) => {
            return ::core::convert::From::from(__auth_refusal);
        }
    };
    ::auth_core::Guarded::new(
        __auth_clearance,
        (|| -> Result<Json<Order>, ApiError> {
            let saved = save(&order, change)?;
            Ok(Json(saved))
        })(),
    )
}
