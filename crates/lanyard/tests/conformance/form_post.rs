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

/// `oidcc-formpost-implicit-certification-test-plan`: the Implicit plan's list (`implicit.rs`).
mod implicit {
    crate::implicit::implicit_plan!(true);
}

/// `oidcc-formpost-hybrid-certification-test-plan`: the Hybrid plan's list (`hybrid.rs`).
mod hybrid {
    crate::hybrid::hybrid_plan!(true);
}
