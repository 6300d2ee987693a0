fn health() -> ::auth_core::Guarded<&'static str> {
    const __AUTH_HANDLER: ::auth_core::inventory::HandlerInfo = ::auth_core::inventory::HandlerInfo::public(
        "health",
        ::core::module_path!(),
        ::core::file!(),
        ::core::line!(),
    );
    ::auth_core::__private::inventory::submit! {
        __AUTH_HANDLER
    }
    ::auth_core::Guarded::public((move || -> &'static str { "ok" })())
}
