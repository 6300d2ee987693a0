fn health() -> ::auth_core::Guarded<&'static str, ()> {
    let __auth_handler: &'static ::auth_core::inventory::HandlerInfo = {
        fn __auth_path() -> &'static str {
            ::core::any::type_name_of_val(&__auth_path)
        }
        static __AUTH_HANDLER: ::auth_core::inventory::HandlerInfo = ::auth_core::inventory::HandlerInfo::public(
                "health",
                ::core::module_path!(),
                ::core::file!(),
                ::core::line!(),
            )
            .at(__auth_path);
        ::auth_core::__private::inventory::submit! {
            ::auth_core::inventory::Registration::new(& __AUTH_HANDLER)
        }
        &__AUTH_HANDLER
    };
    match ::auth_core::Clearance::public(__auth_handler) {
        ::core::result::Result::Ok(__auth_clearance) => {
            ::auth_core::Guarded::new(__auth_clearance, (|| -> &'static str { "ok" })())
        }
        ::core::result::Result::Err(__auth_refusal) => {
            ::core::convert::From::from(__auth_refusal)
        }
    }
}
