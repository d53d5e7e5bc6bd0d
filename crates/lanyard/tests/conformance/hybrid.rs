//! Hybrid OP plan (`oidcc-hybrid-certification-test-plan`): response types `code id_token`, `code token` and
//! `code id_token token`, answered in the fragment, the app registered with the authorization code and implicit
//! grants; each code is redeemed at the token endpoint. The plan runs its list once per response type: each test is
//! named after the OIDF module with the response type appended (`server_code_id_token` is `oidcc-server` with
//! `response_type=code id_token`); `response_type_missing`, run once, has none. The bodies are in `flows.rs`.

/// The plan's list, once per response type: expanded here with `response_mode` left to the default, and in
/// `form_post.rs` for the Form Post Hybrid plan with `response_mode=form_post`.
macro_rules! hybrid_plan {
    ($form_post:expr) => {
        const CI: $crate::flows::Variant = $crate::flows::Variant::new("code id_token", $form_post);
        const CT: $crate::flows::Variant = $crate::flows::Variant::new("code token", $form_post);
        const CIT: $crate::flows::Variant = $crate::flows::Variant::new("code id_token token", $form_post);

        $crate::flows::modules!(CI =>
            server_code_id_token: server,
            response_type_missing: response_type_missing,
            idtoken_signature_code_id_token: idtoken_signature,
            userinfo_get_code_id_token: userinfo_get,
            userinfo_post_header_code_id_token: userinfo_post_header,
            userinfo_post_body_code_id_token: userinfo_post_body,
            ensure_request_without_nonce_fails_code_id_token: ensure_request_without_nonce_fails,
            scope_profile_code_id_token: scope_profile,
            scope_email_code_id_token: scope_email,
            scope_address_code_id_token: scope_address,
            scope_phone_code_id_token: scope_phone,
            scope_all_code_id_token: scope_all,
            ensure_other_scope_order_succeeds_code_id_token: ensure_other_scope_order_succeeds,
            display_page_code_id_token: display_page,
            display_popup_code_id_token: display_popup,
            prompt_login_code_id_token: prompt_login,
            prompt_none_not_logged_in_code_id_token: prompt_none_not_logged_in,
            prompt_none_logged_in_code_id_token: prompt_none_logged_in,
            max_age_1_code_id_token: max_age_1,
            max_age_10000_code_id_token: max_age_10000,
            ensure_request_with_unknown_parameter_succeeds_code_id_token: ensure_request_with_unknown_parameter_succeeds,
            id_token_hint_code_id_token: id_token_hint,
            login_hint_code_id_token: login_hint,
            ui_locales_code_id_token: ui_locales,
            claims_locales_code_id_token: claims_locales,
            ensure_request_with_acr_values_succeeds_code_id_token: ensure_request_with_acr_values_succeeds,
            codereuse_code_id_token: codereuse,
            codereuse_30seconds_code_id_token: codereuse_30seconds,
            ensure_registered_redirect_uri_code_id_token: ensure_registered_redirect_uri,
            server_client_secret_post_code_id_token: server_client_secret_post,
            refresh_token_code_id_token: refresh_token,
            ensure_request_with_valid_pkce_succeeds_code_id_token: ensure_request_with_valid_pkce_succeeds,
            request_uri_unsigned_supported_correctly_or_rejected_as_unsupported_code_id_token: request_uri_unsigned_supported_correctly_or_rejected_as_unsupported,
            unsigned_request_object_supported_correctly_or_rejected_as_unsupported_code_id_token: unsigned_request_object_supported_correctly_or_rejected_as_unsupported,
            claims_essential_code_id_token: claims_essential,
            ensure_request_object_with_redirect_uri_code_id_token: ensure_request_object_with_redirect_uri,
        );

        $crate::flows::modules!(CT =>
            server_code_token: server,
            idtoken_signature_code_token: idtoken_signature,
            userinfo_get_code_token: userinfo_get,
            userinfo_post_header_code_token: userinfo_post_header,
            userinfo_post_body_code_token: userinfo_post_body,
            ensure_request_without_nonce_succeeds_for_code_flow_code_token: ensure_request_without_nonce_succeeds_for_code_flow,
            scope_profile_code_token: scope_profile,
            scope_email_code_token: scope_email,
            scope_address_code_token: scope_address,
            scope_phone_code_token: scope_phone,
            scope_all_code_token: scope_all,
            display_page_code_token: display_page,
            display_popup_code_token: display_popup,
            prompt_login_code_token: prompt_login,
            prompt_none_not_logged_in_code_token: prompt_none_not_logged_in,
            prompt_none_logged_in_code_token: prompt_none_logged_in,
            max_age_1_code_token: max_age_1,
            max_age_10000_code_token: max_age_10000,
            ensure_request_with_unknown_parameter_succeeds_code_token: ensure_request_with_unknown_parameter_succeeds,
            id_token_hint_code_token: id_token_hint,
            login_hint_code_token: login_hint,
            ui_locales_code_token: ui_locales,
            claims_locales_code_token: claims_locales,
            ensure_request_with_acr_values_succeeds_code_token: ensure_request_with_acr_values_succeeds,
            codereuse_code_token: codereuse,
            codereuse_30seconds_code_token: codereuse_30seconds,
            ensure_registered_redirect_uri_code_token: ensure_registered_redirect_uri,
            server_client_secret_post_code_token: server_client_secret_post,
            refresh_token_code_token: refresh_token,
            request_uri_unsigned_supported_correctly_or_rejected_as_unsupported_code_token: request_uri_unsigned_supported_correctly_or_rejected_as_unsupported,
            unsigned_request_object_supported_correctly_or_rejected_as_unsupported_code_token: unsigned_request_object_supported_correctly_or_rejected_as_unsupported,
            claims_essential_code_token: claims_essential,
            ensure_request_object_with_redirect_uri_code_token: ensure_request_object_with_redirect_uri,
        );

        $crate::flows::modules!(CIT =>
            server_code_id_token_token: server,
            idtoken_signature_code_id_token_token: idtoken_signature,
            userinfo_get_code_id_token_token: userinfo_get,
            userinfo_post_header_code_id_token_token: userinfo_post_header,
            userinfo_post_body_code_id_token_token: userinfo_post_body,
            ensure_request_without_nonce_fails_code_id_token_token: ensure_request_without_nonce_fails,
            scope_profile_code_id_token_token: scope_profile,
            scope_email_code_id_token_token: scope_email,
            scope_address_code_id_token_token: scope_address,
            scope_phone_code_id_token_token: scope_phone,
            scope_all_code_id_token_token: scope_all,
            display_page_code_id_token_token: display_page,
            display_popup_code_id_token_token: display_popup,
            prompt_login_code_id_token_token: prompt_login,
            prompt_none_not_logged_in_code_id_token_token: prompt_none_not_logged_in,
            prompt_none_logged_in_code_id_token_token: prompt_none_logged_in,
            max_age_1_code_id_token_token: max_age_1,
            max_age_10000_code_id_token_token: max_age_10000,
            ensure_request_with_unknown_parameter_succeeds_code_id_token_token: ensure_request_with_unknown_parameter_succeeds,
            id_token_hint_code_id_token_token: id_token_hint,
            login_hint_code_id_token_token: login_hint,
            ui_locales_code_id_token_token: ui_locales,
            claims_locales_code_id_token_token: claims_locales,
            ensure_request_with_acr_values_succeeds_code_id_token_token: ensure_request_with_acr_values_succeeds,
            codereuse_code_id_token_token: codereuse,
            codereuse_30seconds_code_id_token_token: codereuse_30seconds,
            ensure_registered_redirect_uri_code_id_token_token: ensure_registered_redirect_uri,
            server_client_secret_post_code_id_token_token: server_client_secret_post,
            refresh_token_code_id_token_token: refresh_token,
            request_uri_unsigned_supported_correctly_or_rejected_as_unsupported_code_id_token_token: request_uri_unsigned_supported_correctly_or_rejected_as_unsupported,
            unsigned_request_object_supported_correctly_or_rejected_as_unsupported_code_id_token_token: unsigned_request_object_supported_correctly_or_rejected_as_unsupported,
            claims_essential_code_id_token_token: claims_essential,
            ensure_request_object_with_redirect_uri_code_id_token_token: ensure_request_object_with_redirect_uri,
        );
    };
}
pub(crate) use hybrid_plan;

hybrid_plan!(false);
