//! The Form Post OP plans (`oidcc-formpost-basic-certification-test-plan`, `…-implicit-…`, `…-hybrid-…`): the
//! Basic, Implicit and Hybrid lists with `response_mode=form_post` — every answer, errors included, reaches the RP
//! as a self-submitting HTML form posted to its redirect URI, never in the URL. One submodule per plan, its tests
//! named as in the plan without form post (`form_post::hybrid::server_code_id_token`); the Basic plan has one
//! response type, `code`, and no suffix. The bodies are in `flows.rs`.

use crate::flows::{Variant, modules};

/// `oidcc-formpost-basic-certification-test-plan`: the code flow.
mod basic {
    use super::*;

    const C: Variant = Variant::new("code", true);

    modules!(C =>
            server: server,
            response_type_missing: response_type_missing,
            idtoken_signature: idtoken_signature,
            idtoken_unsigned: idtoken_unsigned,
            userinfo_get: userinfo_get,
            userinfo_post_header: userinfo_post_header,
            userinfo_post_body: userinfo_post_body,
            ensure_request_without_nonce_succeeds_for_code_flow: ensure_request_without_nonce_succeeds_for_code_flow,
            scope_profile: scope_profile,
            scope_email: scope_email,
            scope_address: scope_address,
            scope_phone: scope_phone,
            scope_all: scope_all,
            ensure_other_scope_order_succeeds: ensure_other_scope_order_succeeds,
            display_page: display_page,
            display_popup: display_popup,
            prompt_login: prompt_login,
            prompt_none_not_logged_in: prompt_none_not_logged_in,
            prompt_none_logged_in: prompt_none_logged_in,
            max_age_1: max_age_1,
            max_age_10000: max_age_10000,
            ensure_request_with_unknown_parameter_succeeds: ensure_request_with_unknown_parameter_succeeds,
            id_token_hint: id_token_hint,
            login_hint: login_hint,
            ui_locales: ui_locales,
            claims_locales: claims_locales,
            ensure_request_with_acr_values_succeeds: ensure_request_with_acr_values_succeeds,
            codereuse: codereuse,
            codereuse_30seconds: codereuse_30seconds,
            ensure_registered_redirect_uri: ensure_registered_redirect_uri,
            ensure_post_request_succeeds: ensure_post_request_succeeds,
            server_client_secret_post: server_client_secret_post,
            refresh_token: refresh_token,
            ensure_request_with_valid_pkce_succeeds: ensure_request_with_valid_pkce_succeeds,
            request_uri_unsigned_supported_correctly_or_rejected_as_unsupported: request_uri_unsigned_supported_correctly_or_rejected_as_unsupported,
            unsigned_request_object_supported_correctly_or_rejected_as_unsupported: unsigned_request_object_supported_correctly_or_rejected_as_unsupported,
            claims_essential: claims_essential,
            ensure_request_object_with_redirect_uri: ensure_request_object_with_redirect_uri,
    );
}

/// `oidcc-formpost-implicit-certification-test-plan`.
mod implicit {
    use super::*;

    const I: Variant = Variant::new("id_token", true);
    const IT: Variant = Variant::new("id_token token", true);

    modules!(I =>
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

    modules!(IT =>
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
            userinfo_get_id_token_token: userinfo_get,
            userinfo_post_header_id_token_token: userinfo_post_header,
            userinfo_post_body_id_token_token: userinfo_post_body,
            response_type_missing: response_type_missing,
            request_uri_unsigned_supported_correctly_or_rejected_as_unsupported_id_token_token: request_uri_unsigned_supported_correctly_or_rejected_as_unsupported,
            unsigned_request_object_supported_correctly_or_rejected_as_unsupported_id_token_token: unsigned_request_object_supported_correctly_or_rejected_as_unsupported,
            claims_essential_id_token_token: claims_essential,
            ensure_request_object_with_redirect_uri_id_token_token: ensure_request_object_with_redirect_uri,
    );
}

/// `oidcc-formpost-hybrid-certification-test-plan`.
mod hybrid {
    use super::*;

    const CI: Variant = Variant::new("code id_token", true);
    const CT: Variant = Variant::new("code token", true);
    const CIT: Variant = Variant::new("code id_token token", true);

    modules!(CI =>
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

    modules!(CT =>
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

    modules!(CIT =>
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
}
