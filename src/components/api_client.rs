//! How islands talk to the server: forms send JSON to the API with `fetch`, and a changed part of
//! the page is rendered again by the server and put in place. Compiled into the server too, never
//! called there. JSON is read with the browser's `JSON.parse`: serde_json would be a quarter of the
//! wasm.

use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::model::{Credentials, FieldErrors, NewComment, NewPost, PostCreated, PostId};

/// Why a form submission did not go through, in words for the person who sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// The server refused the values (422): messages per field.
    Invalid { detail: String, errors: FieldErrors },
    /// Anything else: the network, a 413, a 500.
    Failed(String),
}

const UNREACHABLE: &str = "The server could not be reached. Check your connection and try again.";
const UNREADABLE: &str = "The server's answer could not be read. Please try again.";

struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    /// The body parsed as JSON, or `undefined`.
    fn json(&self) -> JsValue {
        js_sys::JSON::parse(&self.body).unwrap_or(JsValue::UNDEFINED)
    }

    /// A failed request in a sentence: the server's `detail` for a 4xx, a generic one for a 5xx.
    fn failure_message(&self) -> String {
        let detail = field(&self.json(), "detail")
            .as_string()
            .unwrap_or_default();
        match self.status {
            413 => "That is too large to send. Please shorten it.".to_owned(),
            400..=499 if !detail.is_empty() => detail,
            status => format!(
                "The server could not complete the request (error {status}). Please try again."
            ),
        }
    }
}

fn field(json: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(json, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// The `errors` of a problem+json answer: messages per field.
fn field_errors(problem: &JsValue) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let given = field(problem, "errors");
    if given.is_object() {
        // Inserted one by one: collecting into the map would sort first, and bring a sort to the wasm.
        for entry in js_sys::Object::entries(given.unchecked_ref()).iter() {
            let entry = js_sys::Array::from(&entry);
            if let Some(name) = entry.get(0).as_string() {
                let messages = js_sys::Array::from(&entry.get(1));
                let messages = messages.iter().filter_map(|message| message.as_string());
                errors.insert(name, messages.collect());
            }
        }
    }
    errors
}

/// `fetch` and read the whole answer; `None` when none came. On `web_sys`, not gloo-net: this is
/// all the app needs of `fetch`, and every byte of the wasm counts.
async fn fetch(method: &str, url: &str, json: Option<String>) -> Option<Answer> {
    use wasm_bindgen_futures::JsFuture;

    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(json) = json {
        let headers = web_sys::Headers::new().ok()?;
        headers.set("content-type", "application/json").ok()?;
        init.set_headers(&headers);
        init.set_body(&json.into());
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init).ok()?;
    let response = JsFuture::from(leptos::prelude::window().fetch_with_request(&request))
        .await
        .ok()?
        .dyn_into::<web_sys::Response>()
        .ok()?;
    let body = JsFuture::from(response.text().ok()?).await.ok()?;
    Some(Answer {
        status: response.status(),
        body: body.as_string().unwrap_or_default(),
    })
}

/// `POST` JSON to an API route: its 201 answer, parsed.
async fn post_json(url: &str, body: &impl Serialize) -> Result<JsValue, SubmitError> {
    let json =
        serde_json::to_string(body).map_err(|error| SubmitError::Failed(error.to_string()))?;
    let answer = fetch("POST", url, Some(json))
        .await
        .ok_or_else(|| SubmitError::Failed(UNREACHABLE.to_owned()))?;
    match answer.status {
        201 => Ok(answer.json()),
        422 => {
            let problem = answer.json();
            Err(SubmitError::Invalid {
                detail: field(&problem, "detail").as_string().unwrap_or_default(),
                errors: field_errors(&problem),
            })
        }
        _ => Err(SubmitError::Failed(answer.failure_message())),
    }
}

pub async fn create_post(post: &NewPost) -> Result<PostCreated, SubmitError> {
    let created = post_json("/api/post", post).await?;
    // A JavaScript number holds every id below 2^53 exactly: far more posts than SQLite will see.
    match (
        field(&created, "id").as_f64(),
        field(&created, "message").as_string(),
    ) {
        (Some(id), Some(message)) => Ok(PostCreated {
            id: PostId(id as i64),
            message,
            author: field(&created, "author").as_string(),
        }),
        _ => Err(SubmitError::Failed(UNREADABLE.to_owned())),
    }
}

/// The comment as the server saved it (its 201 answer, parsed).
pub async fn add_comment(id: PostId, comment: &NewComment) -> Result<JsValue, SubmitError> {
    post_json(&format!("/api/comments/{id}"), comment).await
}

/// The status `GET url` answers, its body not read (a stream's is cut off); `None` when no answer
/// came. What a refused `EventSource` cannot tell (live_comments.rs).
pub async fn status_of(url: &str) -> Option<u16> {
    use wasm_bindgen_futures::JsFuture;

    let abort = web_sys::AbortController::new().ok()?;
    let init = web_sys::RequestInit::new();
    init.set_signal(Some(&abort.signal()));
    let request = web_sys::Request::new_with_str_and_init(url, &init).ok()?;
    let response = JsFuture::from(leptos::prelude::window().fetch_with_request(&request)).await;
    abort.abort();
    Some(
        response
            .ok()?
            .dyn_into::<web_sys::Response>()
            .ok()?
            .status(),
    )
}

/// `POST` the credentials to `/api/auth/signup` or `/api/auth/signin`: `Ok` once signed in (the
/// answer set the session cookie); a 401, 409 or 429 in the server's words.
pub async fn sign_in_or_up(url: &str, credentials: &Credentials) -> Result<(), SubmitError> {
    let json = serde_json::to_string(credentials)
        .map_err(|error| SubmitError::Failed(error.to_string()))?;
    let answer = fetch("POST", url, Some(json))
        .await
        .ok_or_else(|| SubmitError::Failed(UNREACHABLE.to_owned()))?;
    match answer.status {
        200 | 201 => Ok(()),
        422 => {
            let problem = answer.json();
            Err(SubmitError::Invalid {
                detail: field(&problem, "detail").as_string().unwrap_or_default(),
                errors: field_errors(&problem),
            })
        }
        _ => Err(SubmitError::Failed(answer.failure_message())),
    }
}

/// The element `id` of the page at `url`, as the server renders it now.
pub async fn render_on_server(url: &str, id: &str) -> Result<web_sys::Element, String> {
    let answer = fetch("GET", url, None)
        .await
        .ok_or_else(|| UNREACHABLE.to_owned())?;
    if answer.status != 200 {
        return Err(answer.failure_message());
    }
    // A document parsed this way runs no scripts and loads nothing: it is only read.
    let page = web_sys::DomParser::new()
        .and_then(|parser| parser.parse_from_string(&answer.body, web_sys::SupportedType::TextHtml))
        .map_err(|_| UNREADABLE.to_owned())?;
    page.get_element_by_id(id)
        .ok_or_else(|| UNREADABLE.to_owned())
}

pub fn put_in_place(element: &web_sys::Element) {
    if let Some(current) = leptos::prelude::document().get_element_by_id(&element.id()) {
        _ = current.replace_with_with_node_1(element);
    }
}
