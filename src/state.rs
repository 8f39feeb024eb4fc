//! [`AppState`]: one `Arc` around the app's parts, what every handler can reach. Nothing is global;
//! handlers take their part with `State<db::Db>`, `State<TriviaService>`… A server and a Lambda
//! function open it the same way.

use std::{ops::Deref, sync::Arc};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{
    auth::Accounts,
    config::{Config, ConfigError, HttpConfig, Posting, Secret},
    db,
    live::Live,
    preview::PreviewMode,
    site::Site,
    trivia::TriviaService,
};

/// `SSE_MAX_STREAMS` where no connection cap gives a default (a server sets half of its cap:
/// `runtime::Server::bind`).
const DEFAULT_MAX_STREAMS: usize = 512;

/// Behind one `Arc`, so each request's clone of the state is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub db: db::Db,
    pub leptos_options: LeptosOptions,
    pub trivia: TriviaService,
    pub preview: PreviewMode,
    pub webhook: WebhookKey,
    pub http: HttpConfig,
    pub site: Site,
    /// `GRAPHQL_INTROSPECTION`: whether `/api/graphql` answers `__schema` and `__type`.
    pub graphql_introspection: bool,
    /// The live comments' event streams (issue 23).
    pub live: Live,
    /// `POSTING`: whether creating a post or a comment takes an account.
    pub posting: Posting,
    /// Users, sessions and API tokens (issue 22): who is asking.
    pub accounts: Accounts,
}

/// The key of `/api/webhook`'s signatures (`WEBHOOK_SECRET`); `None`: the route answers 404.
#[derive(Clone)]
pub struct WebhookKey(pub Option<Arc<Secret>>);

impl WebhookKey {
    pub fn new(secret: Option<Secret>) -> Self {
        Self(secret.map(Arc::new))
    }
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// Everything the router needs: the trivia client, and the database opened and migrated.
    pub async fn open(config: Config, site: Site) -> Result<Self, StartError> {
        let trivia = TriviaService::new(&config.trivia)?;
        let db = db::open(&config.database).await?;
        let max_streams = config
            .live
            .max_streams
            .map_or(DEFAULT_MAX_STREAMS, std::num::NonZeroUsize::get);
        let live = Live::new(db.clone(), &config.live, max_streams);
        Ok(Self::new(Shared {
            accounts: Accounts::new(db.clone(), &config.accounts)?,
            db,
            leptos_options: config.leptos,
            trivia,
            preview: PreviewMode::new(config.preview_secret),
            webhook: WebhookKey::new(config.webhook_secret),
            http: config.http,
            site,
            graphql_introspection: config.graphql_introspection,
            live,
            posting: config.posting,
        }))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

macro_rules! state_parts {
    ($($field:ident: $part:ty),+ $(,)?) => {$(
        impl FromRef<AppState> for $part {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        }
    )+};
}
state_parts! {
    db: db::Db,
    leptos_options: LeptosOptions,
    trivia: TriviaService,
    preview: PreviewMode,
    webhook: WebhookKey,
    live: Live,
    posting: Posting,
    accounts: Accounts,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] db::OpenError),
    #[error("cannot build the trivia HTTP client: {0}")]
    TriviaClient(#[from] reqwest::Error),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Hasher(#[from] crate::auth::password::HashError),
}
