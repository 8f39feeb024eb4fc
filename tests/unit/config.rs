//! The settings (src/config.rs): what a `Config` shows of itself when it is logged.

use std::{net::SocketAddr, str::FromStr};

use leptos::config::LeptosOptions;
use leptos_api_routes::config::{
    Config, DatabaseConfig, DatabaseUrl, HttpConfig, Secret, TriviaConfig,
};

const PREVIEW_SECRET: &str = "preview-secret-nobody-may-read";
const WEBHOOK_SECRET: &str = "webhook-secret-nobody-may-read";
const DATABASE_PASSWORD: &str = "database-password-nobody-may-read";

fn config_with_secrets() -> Config {
    let url = format!("postgres://app:{DATABASE_PASSWORD}@localhost:5432/app");
    Config {
        database: DatabaseConfig::new(DatabaseUrl::from_str(&url).expect("a database URL")),
        leptos: LeptosOptions::builder()
            .output_name("leptos-api-routes")
            .site_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
            .build(),
        trivia: TriviaConfig::default(),
        preview_secret: Some(Secret::from_str(PREVIEW_SECRET).expect("a secret")),
        webhook_secret: Some(Secret::from_str(WEBHOOK_SECRET).expect("a secret")),
        http: HttpConfig::default(),
        graphql_introspection: false,
    }
}

#[test]
fn a_config_printed_with_debug_shows_none_of_its_secrets() {
    let printed = format!("{:?}", config_with_secrets());

    for secret in [PREVIEW_SECRET, WEBHOOK_SECRET, DATABASE_PASSWORD] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    assert!(printed.contains("DatabaseUrl(postgres://..)"), "{printed}");
}

#[test]
fn an_empty_secret_is_refused() {
    assert!(Secret::from_str("").is_err());
}
