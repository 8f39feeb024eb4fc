//! Accounts in tests (issue 22): signing up and in over HTTP, and the session cookie an answer sets,
//! as `name=value` to send back in a `Cookie` header. For a [`TestApp`] or any server at `base`.

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
}
