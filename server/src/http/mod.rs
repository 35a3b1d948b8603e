//! The HTTP surface: Leptos pages and server functions, plus Parley's own routes.

mod health;
mod media;
pub mod metrics;
pub mod origin;
mod webhooks;
mod ws;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Router, middleware};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use parley_app::context::AppState;
use parley_app::{App, shell};

/// Everything a handler may need.
#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub leptos: LeptosOptions,
    pub metrics: metrics::Metrics,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos.clone()
    }
}

/// Parley's routes besides the Leptos pages and server functions, as (path, handlers). The
/// tenant-isolation test walks this list, so a route added here cannot escape it.
pub fn own_routes() -> Vec<(&'static str, MethodRouter<ServerState>)> {
    vec![
        ("/healthz", get(health::healthz)),
        ("/metrics", get(health::metrics)),
        ("/media/organizations/{organization}/logo", get(media::organization_logo)),
        ("/media/messages/{message}", get(media::message_media)),
        ("/media/files/{file}", get(media::stored_file)),
        ("/media/uploads", post(media::upload_attachment).layer(DefaultBodyLimit::max(media::UPLOAD_LIMIT))),
        (
            "/webhooks/whatsapp/{key}",
            get(webhooks::verify).post(webhooks::receive).layer(DefaultBodyLimit::max(webhooks::BODY_LIMIT)),
        ),
        ("/ws", get(ws::connect)),
    ]
}

pub fn router(state: ServerState, allowed_origin: String) -> Router {
    let leptos_routes = generate_route_list(App);
    let webhook_receiver = parley::webhooks::Receiver::start(state.app.pool.clone(), state.app.secrets.clone());
    let realtime_hub = parley::realtime::Hub::start(state.app.pool.clone());
    let context = state.app.clone();
    let provide = move || provide_context(context.clone());
    let options = state.leptos.clone();
    let own = own_routes().into_iter().fold(Router::new(), |router, (path, handlers)| router.route(path, handlers));
    own.leptos_routes_with_context(&state, leptos_routes, provide.clone(), move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<ServerState, _>(provide, shell))
    .route_layer(middleware::from_fn_with_state(state.metrics.clone(), metrics::measure))
    .layer(middleware::from_fn_with_state(origin::AllowedOrigin(allowed_origin), origin::refuse_cross_site))
    .layer(Extension(webhook_receiver))
    .layer(Extension(realtime_hub))
    .layer(tower_http::trace::TraceLayer::new_for_http())
    .with_state(state)
}
