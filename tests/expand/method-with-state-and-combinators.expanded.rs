impl Orders {
    fn approve(
        &self,
        _user: &Authenticated<User>,
        invoice: Invoice,
    ) -> Result<(), Error> {
        let __auth_handler: &'static ::auth_core::inventory::HandlerInfo = {
            fn __auth_path() -> &'static str {
                ::core::any::type_name_of_val(&__auth_path)
            }
            static __AUTH_HANDLER: ::auth_core::inventory::HandlerInfo = ::auth_core::inventory::HandlerInfo::guarded(
                    "approve",
                    ::core::module_path!(),
                    ::core::file!(),
                    ::core::line!(),
                    &[
                        "any(role(\"admin\"), not(check(policies::suspended)))",
                        "Approve(invoice)",
                    ],
                )
                .at(__auth_path);
            ::auth_core::__private::inventory::submit! {
                ::auth_core::inventory::Registration::new(& __AUTH_HANDLER)
            }
            &__AUTH_HANDLER
        };
        #[allow(clippy::used_underscore_binding)]
        let mut __auth_gate = ::auth_core::Gatekeeper::new(_user, __auth_handler);
        if let ::core::result::Result::Err(__auth_err) = __auth_gate.admit() {
            return ::auth_core::__private::reject(__auth_err);
        }
        let __auth_state = {
            #[allow(unused_imports)]
            use ::auth_core::__private::{ByReference as _, PeelReference as _};
            (&::auth_core::__private::StateRef(&(self.limits))).state()
        };
        #[allow(unused_variables, clippy::shadow_unrelated)]
        let __auth_principal = __auth_gate.principal();
        #[allow(unused_variables, clippy::shadow_unrelated)]
        let __auth_principal = __auth_gate.principal();
        #[allow(unused_variables, clippy::shadow_unrelated)]
        let __auth_predicate_state = __auth_state;
        let __auth_decision = '__auth_any_1: {
            let mut __auth_any_1 = ::auth_core::Any::new();
            if __auth_any_1
                .push(::auth_core::gate::role(__auth_principal, "admin"))
                .is_break()
            {
                break '__auth_any_1 __auth_any_1.finish();
            }
            if __auth_any_1
                .push(
                    ::auth_core::Decision::negate(
                        ::auth_core::__private::IntoDecision::into_decision(
                            policies::suspended(__auth_principal, __auth_predicate_state),
                        ),
                    ),
                )
                .is_break()
            {
                break '__auth_any_1 __auth_any_1.finish();
            }
            __auth_any_1.finish()
        };
        if let ::core::result::Result::Err(__auth_err) = __auth_gate
            .check(0, __auth_decision)
        {
            return ::auth_core::__private::reject(__auth_err);
        }
        #[allow(unused_variables, clippy::shadow_unrelated)]
        let __auth_gatekeeper = &mut __auth_gate;
        let invoice = match __auth_gatekeeper
            .resource(1, invoice, __auth_state)
            .authorize::<Approve>()
        {
            ::core::result::Result::Ok(__auth_permit) => __auth_permit,
            ::core::result::Result::Err(__auth_err) => {
                return ::auth_core::__private::reject(__auth_err);
            }
        };
        let __auth_clearance = match __auth_gate.clear() {
            ::core::result::Result::Ok(__auth_clearance) => __auth_clearance,
            ::core::result::Result::Err(__auth_refusal) => {
                return ::auth_core::__private::reject(__auth_refusal.into_error());
            }
        };
        let _ = __auth_clearance;
        { self.db.approve(&invoice) }
    }
}
