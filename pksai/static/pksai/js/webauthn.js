/* Security keys and passkeys (decision 0020): add one on the second-factor page, use one on
   the verification page. Only enhances: without WebAuthn the blocks stay hidden and the
   authenticator app and recovery codes work as before. No inline script (CSP). */
(function () {
  "use strict";

  function b64urlToBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function bufferToB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    json.challenge = b64urlToBuffer(json.challenge);
    json.user.id = b64urlToBuffer(json.user.id);
    (json.excludeCredentials || []).forEach(function (c) { c.id = b64urlToBuffer(c.id); });
    return json;
  }

  function requestOptions(json) {
    json.challenge = b64urlToBuffer(json.challenge);
    (json.allowCredentials || []).forEach(function (c) { c.id = b64urlToBuffer(c.id); });
    return json;
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: bufferToB64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: bufferToB64url(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      out.response.attestationObject = bufferToB64url(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = bufferToB64url(response.authenticatorData);
      out.response.signature = bufferToB64url(response.signature);
      if (response.userHandle) { out.response.userHandle = bufferToB64url(response.userHandle); }
    }
    return out;
  }

  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: body ? JSON.stringify(body) : "{}"
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.detail || "refused"); }
        return data;
      });
    });
  }

  function showError(box, message) {
    var error = box.querySelector("[role=alert]");
    error.textContent = message;
    error.hidden = false;
  }

  function setUp(box, button, run) {
    if (!box) { return; }
    box.hidden = false;
    if (!window.PublicKeyCredential || !navigator.credentials) {
      button.disabled = true;
      showError(box, box.querySelector("[role=alert]").dataset.unsupported);
      return;
    }
    var token = box.querySelector("input[name=csrfmiddlewaretoken]").value;
    button.addEventListener("click", function () {
      button.disabled = true;
      run(token).then(function (data) {
        window.location.assign(data.next);
      }).catch(function () {
        button.disabled = false;
        showError(box, box.querySelector("[role=alert]").dataset.failed);
      });
    });
  }

  var register = document.getElementById("security-key-register");
  setUp(register, document.getElementById("security-key-add"), function (token) {
    return post(register.dataset.begin, token).then(function (options) {
      return navigator.credentials.create({ publicKey: creationOptions(options) });
    }).then(function (credential) {
      return post(register.dataset.complete, token, {
        credential: credentialJSON(credential),
        name: document.getElementById("security-key-name").value
      });
    });
  });

  var verify = document.getElementById("security-key-verify");
  setUp(verify, document.getElementById("security-key-use"), function (token) {
    return post(verify.dataset.begin, token).then(function (options) {
      return navigator.credentials.get({ publicKey: requestOptions(options) });
    }).then(function (credential) {
      return post(verify.dataset.complete, token, {
        credential: credentialJSON(credential),
        next: verify.dataset.next
      });
    });
  });
})();
