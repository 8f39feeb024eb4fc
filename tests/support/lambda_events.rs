//! Lambda events as AWS documents them for each front door, written out by hand from the
//! documentation, not made by `lambda_http` (what each format holds: [`FrontDoor`]). Shared by
//! the handler tests (`tests/lambda/`) and the function binary's tests (`tests/deploy/lambda.rs`).

use base64::Engine;
use serde_json::{Map, Value, json};

/// What invokes the function, and the event format it sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrontDoor {
    /// API Gateway HTTP API, payload format 2.0 ("Working with AWS Lambda proxy integrations for
    /// HTTP APIs"): `rawPath`, `rawQueryString` as sent, lowercase single-value `headers` (repeated
    /// ones joined with commas), the `Cookie` header moved to a `cookies` array, the client in
    /// `requestContext.http.sourceIp`, a `stage` (`$default`, served at the root, or a named one
    /// that is also in the path).
    HttpApi,
    /// Lambda Function URL, the same 2.0 format ("Invoking Lambda function URLs"), from a
    /// `*.lambda-url.<region>.on.aws` domain, stage `$default`; a body whose type is not text (a
    /// form post, a file) arrives base64-encoded.
    FunctionUrl,
    /// API Gateway REST API, proxy integration, payload format 1.0 ("Set up a proxy integration
    /// with a proxy resource"): `path` without the stage, `headers` and `multiValueHeaders`,
    /// decoded `queryStringParameters` and `multiValueQueryStringParameters`, the client in
    /// `requestContext.identity.sourceIp`, always a named stage.
    RestApi,
}

pub const ALL_FRONT_DOORS: [FrontDoor; 3] = [
    FrontDoor::HttpApi,
    FrontDoor::FunctionUrl,
    FrontDoor::RestApi,
];

/// The client address the examples use (TEST-NET-3, never routed).
pub const CLIENT_IP: &str = "203.0.113.7";

/// One HTTP request, to be written as the event `door` sends for it.
#[derive(Clone, Debug)]
pub struct Event {
    door: FrontDoor,
    method: String,
    /// The path and query as the client sent them (`/api/post?limit=1`).
    target: String,
    headers: Vec<(String, String)>,
    /// `name=value` pairs, as the browser's `Cookie` header lists them.
    cookies: Vec<String>,
    body: Option<Vec<u8>>,
    base64: bool,
    source_ip: String,
    stage: Option<String>,
}

impl Event {
    pub fn new(door: FrontDoor, method: &str, target: &str) -> Self {
        Self {
            door,
            method: method.to_owned(),
            target: target.to_owned(),
            headers: vec![
                ("accept".into(), "*/*".into()),
                ("user-agent".into(), "curl/8.5.0".into()),
            ],
            cookies: Vec::new(),
            body: None,
            base64: false,
            source_ip: CLIENT_IP.to_owned(),
            stage: None,
        }
    }

    pub fn get(door: FrontDoor, target: &str) -> Self {
        Self::new(door, "GET", target)
    }

    /// A request with a body of `content_type`, encoded as `door` encodes it: base64 unless it is
    /// text, for the 2.0 front doors (binary media types are not set up on the REST API).
    pub fn with_body(
        door: FrontDoor,
        method: &str,
        target: &str,
        content_type: &str,
        body: &[u8],
    ) -> Self {
        let textual = [
            "text/",
            "application/json",
            "application/javascript",
            "application/xml",
        ]
        .iter()
        .any(|prefix| content_type.starts_with(prefix));
        let mut event = Self::new(door, method, target)
            .header("content-type", content_type)
            .header("content-length", &body.len().to_string());
        event.body = Some(body.to_vec());
        event.base64 = door != FrontDoor::RestApi && !textual;
        event
    }

    pub fn post_json(door: FrontDoor, target: &str, body: &Value) -> Self {
        Self::with_body(
            door,
            "POST",
            target,
            "application/json",
            body.to_string().as_bytes(),
        )
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A `name=value` cookie the browser sends.
    pub fn cookie(mut self, cookie: &str) -> Self {
        self.cookies.push(cookie.to_owned());
        self
    }

    /// The body base64-encoded, whatever its type.
    pub fn base64(mut self) -> Self {
        self.base64 = true;
        self
    }

    /// Sent by the client at `ip`, as the front door saw its connection.
    pub fn source_ip(mut self, ip: &str) -> Self {
        self.source_ip = ip.to_owned();
        self
    }

    /// Through the named stage `stage` (an HTTP API's named stage; the REST API's, `prod` unless
    /// set).
    pub fn stage(mut self, stage: &str) -> Self {
        self.stage = Some(stage.to_owned());
        self
    }

    /// The event, as JSON text.
    pub fn to_json(&self) -> String {
        match self.door {
            FrontDoor::HttpApi | FrontDoor::FunctionUrl => self.payload_v2(),
            FrontDoor::RestApi => self.payload_v1(),
        }
        .to_string()
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    fn raw_query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, query)| query)
    }

    /// The query's parameters, decoded, in order.
    fn query_pairs(&self) -> Vec<(String, String)> {
        reqwest::Url::parse(&format!("https://example.com/?{}", self.raw_query()))
            .expect("a query")
            .query_pairs()
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect()
    }

    fn body_field(&self) -> Value {
        match &self.body {
            None => Value::Null,
            Some(body) if self.base64 => base64::engine::general_purpose::STANDARD
                .encode(body)
                .into(),
            Some(body) => String::from_utf8(body.clone())
                .expect("a text body is UTF-8")
                .into(),
        }
    }

    fn domain(&self) -> &'static str {
        match self.door {
            FrontDoor::HttpApi => "r3pmxmplak.execute-api.us-east-2.amazonaws.com",
            FrontDoor::FunctionUrl => {
                "a2b3c4d5e6f7g8h9i0j1k2l3m4n5o6p7.lambda-url.us-east-2.on.aws"
            }
            FrontDoor::RestApi => "70ixmpl4fl.execute-api.us-east-2.amazonaws.com",
        }
    }

    fn payload_v2(&self) -> Value {
        let stage = self.stage.clone().unwrap_or_else(|| "$default".to_owned());
        let raw_path = if stage == "$default" {
            self.path().to_owned()
        } else {
            format!("/{stage}{}", self.path())
        };
        let mut headers = Map::new();
        for (name, value) in self
            .headers
            .iter()
            .chain([&("host".to_owned(), self.domain().to_owned())])
        {
            let name = name.to_ascii_lowercase();
            let joined = match headers.get(&name).and_then(Value::as_str) {
                Some(earlier) => format!("{earlier},{value}"),
                None => value.clone(),
            };
            headers.insert(name, joined.into());
        }
        headers.insert("x-forwarded-for".into(), self.source_ip.clone().into());
        headers.insert("x-forwarded-proto".into(), "https".into());
        let mut query = Map::new();
        for (name, value) in self.query_pairs() {
            let joined = match query.get(&name).and_then(Value::as_str) {
                Some(earlier) => format!("{earlier},{value}"),
                None => value,
            };
            query.insert(name, joined.into());
        }
        let mut event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": raw_path,
            "rawQueryString": self.raw_query(),
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": self.domain().split('.').next(),
                "domainName": self.domain(),
                "domainPrefix": self.domain().split('.').next(),
                "http": {
                    "method": self.method,
                    "path": raw_path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": self.source_ip,
                    "userAgent": "curl/8.5.0",
                },
                "requestId": "JKJaXmPLvHcESHA=",
                "routeKey": "$default",
                "stage": stage,
                "time": "21/Nov/2026:07:30:00 +0000",
                "timeEpoch": 1_795_246_200_000_u64,
            },
            "isBase64Encoded": self.base64,
        });
        if !query.is_empty() {
            event["queryStringParameters"] = query.into();
        }
        if !self.cookies.is_empty() {
            event["cookies"] = json!(self.cookies);
        }
        if self.body.is_some() {
            event["body"] = self.body_field();
        }
        event
    }

    fn payload_v1(&self) -> Value {
        let stage = self.stage.clone().unwrap_or_else(|| "prod".to_owned());
        let mut headers = Map::new();
        let mut multi_value_headers = Map::new();
        let cookie_header =
            (!self.cookies.is_empty()).then(|| ("Cookie".to_owned(), self.cookies.join("; ")));
        let sent = self
            .headers
            .iter()
            .cloned()
            .chain([("Host".to_owned(), self.domain().to_owned())])
            .chain(cookie_header)
            .chain([
                ("X-Forwarded-For".to_owned(), self.source_ip.clone()),
                ("X-Forwarded-Proto".to_owned(), "https".to_owned()),
            ]);
        for (name, value) in sent {
            headers.insert(name.clone(), value.clone().into());
            multi_value_headers
                .entry(name)
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .expect("an array")
                .push(value.into());
        }
        let pairs = self.query_pairs();
        let (query, multi_value_query) = if pairs.is_empty() {
            (Value::Null, Value::Null)
        } else {
            let mut single = Map::new();
            let mut multi = Map::new();
            for (name, value) in pairs {
                single.insert(name.clone(), value.clone().into());
                multi
                    .entry(name)
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                    .expect("an array")
                    .push(value.into());
            }
            (single.into(), multi.into())
        };
        json!({
            "resource": "/{proxy+}",
            "path": self.path(),
            "httpMethod": self.method,
            "headers": headers,
            "multiValueHeaders": multi_value_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_value_query,
            "pathParameters": { "proxy": self.path().trim_start_matches('/') },
            "stageVariables": null,
            "requestContext": {
                "resourceId": "2gxmpl",
                "resourcePath": "/{proxy+}",
                "httpMethod": self.method,
                "extendedRequestId": "JJbxmHc4PHcFjRg=",
                "requestTime": "21/Nov/2026:07:30:00 +0000",
                "path": format!("/{stage}{}", self.path()),
                "accountId": "123456789012",
                "protocol": "HTTP/1.1",
                "stage": stage,
                "domainPrefix": "70ixmpl4fl",
                "requestTimeEpoch": 1_795_246_200_000_u64,
                "requestId": "e0e7bd7f-ba35-4f2b-8a6c-1c3b2a56e9f0",
                "identity": {
                    "sourceIp": self.source_ip,
                    "userAgent": "curl/8.5.0",
                },
                "domainName": self.domain(),
                "apiId": "70ixmpl4fl",
            },
            "body": self.body_field(),
            "isBase64Encoded": self.base64,
        })
    }
}
