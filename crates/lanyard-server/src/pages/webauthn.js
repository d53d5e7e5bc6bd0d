// Passkeys on Lanyard's hosted pages. A form marked data-webauthn="create" (register) or "get" (sign in) carries
// the server's WebAuthn options, base64url-encoded, in data-options; this script shows its button, runs the
// ceremony when the form is sent, puts the authenticator's answer (base64url) in the form's hidden fields and
// sends it. Without this script the button stays hidden and the page says what to do instead.
(() => {
  'use strict';

  const decode = (text) => {
    let s = text.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  };
  const encode = (buffer) => {
    let s = '';
    for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const descriptors = (list) => (list || []).map((c) => ({ ...c, id: decode(c.id) }));

  const creationOptions = (o) => ({
    ...o,
    challenge: decode(o.challenge),
    user: { ...o.user, id: decode(o.user.id) },
    excludeCredentials: descriptors(o.excludeCredentials),
  });
  const requestOptions = (o) => ({
    ...o,
    challenge: decode(o.challenge),
    allowCredentials: descriptors(o.allowCredentials),
  });

  const set = (form, name, value) => {
    const field = form.elements.namedItem(name);
    if (field) field.value = value;
  };

  for (const form of document.querySelectorAll('form[data-webauthn]')) {
    const button = form.querySelector('[data-webauthn-button]');
    const error = form.querySelector('[data-webauthn-error]');
    const fail = (message) => {
      error.textContent = message;
      error.hidden = false;
    };
    if (!window.PublicKeyCredential || !navigator.credentials) {
      fail('This browser cannot use passkeys.');
      continue;
    }
    button.hidden = false;
    let busy = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      button.disabled = true;
      error.hidden = true;
      try {
        const options = JSON.parse(form.dataset.options);
        if (form.dataset.webauthn === 'create') {
          const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
          set(form, 'attestation', encode(credential.response.attestationObject));
          set(form, 'clientData', encode(credential.response.clientDataJSON));
        } else {
          const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
          const r = credential.response;
          set(form, 'credentialId', encode(credential.rawId));
          set(form, 'clientData', encode(r.clientDataJSON));
          set(form, 'authenticatorData', encode(r.authenticatorData));
          set(form, 'signatureData', encode(r.signature));
          if (r.userHandle) set(form, 'userHandle', encode(r.userHandle));
        }
        // submit() sends the form without firing this handler again.
        form.submit();
      } catch (e) {
        busy = false;
        button.disabled = false;
        fail(
          e && e.name === 'NotAllowedError'
            ? 'The passkey request was cancelled or timed out. Try again.'
            : e && e.name === 'InvalidStateError'
              ? 'This authenticator is already registered.'
              : 'The passkey did not work. Try again.',
        );
      }
    });
  }
})();
