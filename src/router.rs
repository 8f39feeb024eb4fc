//! The whole app as one router: the pages, the API under `/api` and the static files, inside the
//! middleware. A server (`runtime/`) and a Lambda function serve exactly this.

use std::sync::OnceLock;

use axum::Router;
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};

use crate::{
    api,
    app::{App, shell},
    config::AllowedHosts,
    middleware,
    site::Site,
    state::AppState,
};

/// The app as a Lambda function runs it: `ALLOWED_HOSTS` as set, else any host
/// ([`AllowedHosts::for_lambda`] says why), and event streams answered 501 (`lambda_http::run`
/// buffers a response whole: a stream would never reach the client). A server uses
/// [`app_for_hosts`].
pub fn app(state: AppState) -> middleware::App {
    state.live.without_streaming();
    let allowed_hosts = state.http.allowed_hosts.for_lambda();
    app_for_hosts(state, allowed_hosts)
}

pub fn app_for_hosts(state: AppState, allowed_hosts: AllowedHosts) -> middleware::App {
    let router = Router::new()
        .merge(middleware::around_api(
            api::router(state.graphql_introspection),
            &state.http,
        ))
        .merge(state.site.routes())
        .merge(middleware::around_pages(pages(&state), &state.http));
    let router = middleware::around_routes(router);
    let (http, leptos_options, preview, db) = (
        state.http.clone(),
        state.leptos_options.clone(),
        state.preview.clone(),
        state.db.clone(),
    );
    middleware::around_app(
        router.with_state(state),
        &http,
        allowed_hosts,
        &leptos_options,
        preview,
        db,
    )
}

/// The page routes; the fallback is the 404 page or, for a site in a folder, its files.
fn pages(state: &AppState) -> Router<AppState> {
    // Pages read the database directly, so they get it, the trivia service, preview mode and the
    // accounts (who is signed in) too.
    // And the live comments: whether the post page's island may open a stream.
    let (db, trivia, preview, accounts, live) = (
        state.db.clone(),
        state.trivia.clone(),
        state.preview.clone(),
        state.accounts.clone(),
        state.live.clone(),
    );
    let page_context = move || {
        provide_context(db.clone());
        provide_context(live.clone());
        provide_context(trivia.clone());
        provide_context(preview.clone());
        provide_context(accounts.clone());
        provide_context(crate::pages::reads::Reader::default());
        // The nonce of this response's Content-Security-Policy, for Leptos's inline scripts.
        middleware::provide_page_nonce();
    };
    let assets = state.site.asset_urls(&state.leptos_options);
    let page_shell = move |options: LeptosOptions| shell(options, assets.clone());
    let pages =
        Router::new().leptos_routes_with_context(state, page_routes(), page_context.clone(), {
            let (options, page_shell) = (state.leptos_options.clone(), page_shell.clone());
            move || page_shell(options.clone())
        });
    match state.site {
        Site::Embedded(_) => {
            pages.fallback(leptos_axum::render_app_async_with_context(page_context, {
                let options = state.leptos_options.clone();
                move || page_shell(options.clone())
            }))
        }
        Site::Folder => pages.fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(page_context, page_shell)),
    }
}

/// The page routes, worked out once per process: while `generate_route_list` runs, Leptos 0.8 holds
/// back every resource loading anywhere in the process for good (leptos-rs/leptos#4773), so a
/// server built while another serves (as in the tests) would hang the other's pages.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}
