//! Accounts in tests (issue 22): signing up and in over HTTP, the session cookie an answer sets, as
//! `name=value` to send back in a `Cookie` header, and the name a page's header shows. For a
//! [`TestApp`] or any server at `base`.

use reqwest::{Client, Response, StatusCode, header};
use serde_json::json;

use super::TestApp;

/// A password that keeps the rules (8–128 characters).
pub const PASSWORD: &str = "correct horse battery staple";

/// The session cookie an answer sets, as `name=value`; `None` when it sets none (or clears it).
pub fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|cookie| cookie.split(';').next())
        .find(|pair| {
            (pair.starts_with("session=") || pair.starts_with("__Host-session="))
                && !pair.ends_with('=')
        })
        .map(str::to_owned)
}

/// Signs `username` up with [`PASSWORD`] at the server `base` (`http://host:port`); its cookie.
pub async fn sign_up_at(client: &Client, base: &str, username: &str) -> String {
    let response = client
        .post(format!("{base}/api/auth/signup"))
        .json(&json!({ "username": username, "password": PASSWORD }))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "sign-up of {username}"
    );
    session_cookie(&response).expect("a session cookie")
}

/// Signs in at `base`; the answer as it comes.
pub async fn sign_in_at(client: &Client, base: &str, username: &str, password: &str) -> Response {
    client
        .post(format!("{base}/api/auth/signin"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("the server answers")
}

/// `GET /api/auth/me` at `base` with `cookie`: its status.
pub async fn me_at(client: &Client, base: &str, cookie: &str) -> StatusCode {
    client
        .get(format!("{base}/api/auth/me"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .expect("the server answers")
        .status()
}

/// The name the header of the home page at `base` shows to `cookie`'s holder; `None`: anonymous.
pub async fn shown_name_at(client: &Client, base: &str, cookie: &str) -> Option<String> {
    let html = client
        .get(format!("{base}/"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .expect("the server answers")
        .text()
        .await
        .expect("a page");
    let (_, after) = html.split_once("Signed in as <strong>")?;
    // Up to the next tag: Leptos may mark the end of the text (`<!>`).
    let (name, _) = after.split_once('<')?;
    Some(name.to_owned())
}

impl TestApp {
    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Signs `username` up with [`PASSWORD`]; the session cookie.
    pub async fn sign_up(&self, username: &str) -> String {
        sign_up_at(&self.client, &self.base(), username).await
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> Response {
        sign_in_at(&self.client, &self.base(), username, password).await
    }

    /// `GET /api/auth/me` with `cookie`: its status.
    pub async fn me(&self, cookie: &str) -> StatusCode {
        me_at(&self.client, &self.base(), cookie).await
    }

    /// The name the home page's header shows to `cookie`'s holder.
    pub async fn shown_name(&self, cookie: &str) -> Option<String> {
        shown_name_at(&self.client, &self.base(), cookie).await
    }
}
