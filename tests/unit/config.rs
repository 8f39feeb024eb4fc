//! The settings (src/config.rs): what a `Config` shows of itself when it is logged, and the parsers
//! of `ALLOWED_HOSTS` and `CSP_REPORT_URI`.

use std::{
    net::{Ipv4Addr, SocketAddr},
    str::FromStr,
};

use leptos::config::LeptosOptions;
use leptos_api_routes::config::{
    AccountsConfig, AllowedHosts, Config, CspReportUri, DatabaseConfig, DatabaseUrl, HttpConfig,
    LiveConfig, Secret, TriviaConfig,
};

const PREVIEW_SECRET: &str = "preview-secret-nobody-may-read";
const WEBHOOK_SECRET: &str = "webhook-secret-nobody-may-read";
const DATABASE_PASSWORD: &str = "database-password-nobody-may-read";

fn config_with_secrets() -> Config {
    let url = format!("postgres://app:{DATABASE_PASSWORD}@localhost:5432/app");
    Config {
        database: DatabaseConfig {
            migration_url: Some(DatabaseUrl::from_str(&url).expect("a database URL")),
            ..DatabaseConfig::new(DatabaseUrl::from_str(&url).expect("a database URL"))
        },
        leptos: LeptosOptions::builder()
            .output_name("leptos-api-routes")
            .site_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
            .build(),
        trivia: TriviaConfig::default(),
        preview_secret: Some(Secret::from_str(PREVIEW_SECRET).expect("a secret")),
        webhook_secret: Some(Secret::from_str(WEBHOOK_SECRET).expect("a secret")),
        http: HttpConfig::default(),
        graphql_introspection: false,
        live: LiveConfig::default(),
        telemetry: Default::default(),
        posting: Default::default(),
        accounts: AccountsConfig::default(),
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

#[test]
fn allowed_hosts_are_kept_lowercase_without_a_trailing_dot_and_written_back_as_given() {
    let hosts: AllowedHosts = " Example.COM., .example.org ,example.net:8443,[::1]"
        .parse()
        .unwrap();

    assert_eq!(
        hosts.to_string(),
        "example.com,.example.org,example.net:8443,[::1]"
    );
}

#[test]
fn allowed_hosts_refuse_urls_paths_wildcards_beside_names_and_an_empty_list() {
    for list in [
        "https://example.com",
        "example.com/path",
        "*.example.com",
        "example.com,*",
        "user@example.com",
        "example.com:port",
        ".[::1]",
        " , ",
    ] {
        assert!(list.parse::<AllowedHosts>().is_err(), "{list:?}");
    }
    assert_eq!("*".parse::<AllowedHosts>(), Ok(AllowedHosts::Any));
}

#[test]
fn unset_allowed_hosts_default_to_the_listening_address_on_loopback() {
    let listening = SocketAddr::from((Ipv4Addr::LOCALHOST, 3000));

    let hosts = AllowedHosts::Unset.for_listener(listening).unwrap();

    assert_eq!(hosts.to_string(), "127.0.0.1");
}

#[test]
fn a_release_on_a_public_address_needs_allowed_hosts_and_a_debug_build_does_not() {
    let public = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 8080));

    let hosts = AllowedHosts::Unset.for_listener(public);

    if cfg!(debug_assertions) {
        assert_eq!(hosts.unwrap(), AllowedHosts::Only(vec![]));
    } else {
        assert_eq!(hosts.unwrap_err().variable, "ALLOWED_HOSTS");
    }
    let set = AllowedHosts::Any.for_listener(public).unwrap();
    assert_eq!(set, AllowedHosts::Any);
}

#[test]
fn a_csp_report_uri_must_be_an_absolute_http_url_that_cannot_end_a_directive() {
    assert!(
        "https://reports.example/csp"
            .parse::<CspReportUri>()
            .is_ok()
    );
    for uri in [
        "/csp-reports",
        "ftp://reports.example/",
        "https://reports.example/a;b",
        "https://reports.example/a,b",
    ] {
        assert!(uri.parse::<CspReportUri>().is_err(), "{uri:?}");
    }
}
