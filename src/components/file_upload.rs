//! Sending a file the user picked (an emote, an avatar) as the body of a `POST`, and what the
//! server said: the routes that take pictures are plain HTTP, not server functions (a form's
//! body is too small for one).

/// Posts the file `file` holds to `url`; tells `done` how it went (the server's message when
/// it refused).
#[cfg(feature = "hydrate")]
pub fn post_file(
    url: String,
    file: leptos::web_sys::HtmlInputElement,
    done: impl FnOnce(Result<(), String>) + 'static,
) {
    let Some(picked) = file.files().and_then(|files| files.get(0)) else {
        done(Err("Pick a picture first.".into()));
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let sent = gloo_net::http::Request::post(&url).body(wasm_bindgen::JsValue::from(picked));
        let answer = match sent {
            Ok(request) => request.send().await,
            Err(err) => Err(err),
        };
        done(match answer {
            Ok(response) if response.ok() => Ok(()),
            Ok(response) => Err(match response.json::<crate::error::AppError>().await {
                Ok(err) => err.to_string(),
                Err(_) => format!("The upload was refused ({}).", response.status()),
            }),
            Err(_) => Err("The upload did not reach the server; try again.".into()),
        });
    });
}

#[cfg(not(feature = "hydrate"))]
pub fn post_file(
    _url: String,
    _file: leptos::web_sys::HtmlInputElement,
    _done: impl FnOnce(Result<(), String>) + 'static,
) {
}
