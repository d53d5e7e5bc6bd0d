//! Implicit OP plan (`oidcc-implicit-certification-test-plan`): response types `id_token` and `id_token token`,
//! answered in the fragment, the app registered with the implicit grant. The plan runs its list once per response
//! type: each test is named after the OIDF module with the response type appended (`server_id_token_token` is
//! `oidcc-server` with `response_type=id_token token`); the modules it runs once have no suffix. The bodies are
//! in `flows.rs`, shared with the Hybrid and Form Post plans.

/// The plan's list, once per response type: expanded here with `response_mode` left to the default, and in
/// `form_post.rs` for the Form Post Implicit plan with `response_mode=form_post`.
macro_rules! implicit_plan {
    ($form_post:expr) => {
        const I: $crate::flows::Variant = $crate::flows::Variant::new("id_token", $form_post);
        const IT: $crate::flows::Variant = $crate::flows::Variant::new("id_token token", $form_post);

        $crate::flows::modules!(I =>
            server_id_token: server,
            idtoken_signature_id_token: idtoken_signature,
            ensure_request_without_nonce_fails_id_token: ensure_request_without_nonce_fails,
            scope_profile_id_token: scope_profile,
            scope_email_id_token: scope_email,
            scope_address_id_token: scope_address,
            scope_phone_id_token: scope_phone,
            scope_all_id_token: scope_all,
            ensure_other_scope_order_succeeds_id_token: ensure_other_scope_order_succeeds,
            display_page_id_token: display_page,
            display_popup_id_token: display_popup,
            prompt_login_id_token: prompt_login,
            prompt_none_not_logged_in_id_token: prompt_none_not_logged_in,
            prompt_none_logged_in_id_token: prompt_none_logged_in,
            max_age_1_id_token: max_age_1,
            max_age_10000_id_token: max_age_10000,
            ensure_request_with_unknown_parameter_succeeds_id_token: ensure_request_with_unknown_parameter_succeeds,
            id_token_hint_id_token: id_token_hint,
            login_hint_id_token: login_hint,
            ui_locales_id_token: ui_locales,
            claims_locales_id_token: claims_locales,
            ensure_request_with_acr_values_succeeds_id_token: ensure_request_with_acr_values_succeeds,
            ensure_registered_redirect_uri_id_token: ensure_registered_redirect_uri,
            request_uri_unsigned_supported_correctly_or_rejected_as_unsupported_id_token: request_uri_unsigned_supported_correctly_or_rejected_as_unsupported,
            unsigned_request_object_supported_correctly_or_rejected_as_unsupported_id_token: unsigned_request_object_supported_correctly_or_rejected_as_unsupported,
            claims_essential_id_token: claims_essential,
            ensure_request_object_with_redirect_uri_id_token: ensure_request_object_with_redirect_uri,
        );

        $crate::flows::modules!(IT =>
            server_id_token_token: server,
            idtoken_signature_id_token_token: idtoken_signature,
            ensure_request_without_nonce_fails_id_token_token: ensure_request_without_nonce_fails,
            scope_profile_id_token_token: scope_profile,
            scope_email_id_token_token: scope_email,
            scope_address_id_token_token: scope_address,
            scope_phone_id_token_token: scope_phone,
            scope_all_id_token_token: scope_all,
            ensure_other_scope_order_succeeds_id_token_token: ensure_other_scope_order_succeeds,
            display_page_id_token_token: display_page,
            display_popup_id_token_token: display_popup,
            prompt_login_id_token_token: prompt_login,
            prompt_none_not_logged_in_id_token_token: prompt_none_not_logged_in,
            prompt_none_logged_in_id_token_token: prompt_none_logged_in,
            max_age_1_id_token_token: max_age_1,
            max_age_10000_id_token_token: max_age_10000,
            ensure_request_with_unknown_parameter_succeeds_id_token_token: ensure_request_with_unknown_parameter_succeeds,
            id_token_hint_id_token_token: id_token_hint,
            login_hint_id_token_token: login_hint,
            ui_locales_id_token_token: ui_locales,
            claims_locales_id_token_token: claims_locales,
            ensure_request_with_acr_values_succeeds_id_token_token: ensure_request_with_acr_values_succeeds,
            ensure_registered_redirect_uri_id_token_token: ensure_registered_redirect_uri,
            // Only with an access token: userinfo.
            userinfo_get_id_token_token: userinfo_get,
            userinfo_post_header_id_token_token: userinfo_post_header,
            userinfo_post_body_id_token_token: userinfo_post_body,
            // Once per plan (the request has no response type).
            response_type_missing: response_type_missing,
            request_uri_unsigned_supported_correctly_or_rejected_as_unsupported_id_token_token: request_uri_unsigned_supported_correctly_or_rejected_as_unsupported,
            unsigned_request_object_supported_correctly_or_rejected_as_unsupported_id_token_token: unsigned_request_object_supported_correctly_or_rejected_as_unsupported,
            claims_essential_id_token_token: claims_essential,
            ensure_request_object_with_redirect_uri_id_token_token: ensure_request_object_with_redirect_uri,
        );
    };
}
pub(crate) use implicit_plan;

implicit_plan!(false);
