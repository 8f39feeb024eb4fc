//! A panic while a request is answered — in a handler, in the router, in step 4 — becomes a 500
//! problem+json, logged with its message inside the request's span, instead of ending the
//! connection's task with no answer at all (hyper runs each connection in a task of its own, and a
//! panic there drops the connection silently). tower-http's `CatchPanic`, inside compression.

use std::any::Any;

use axum::{body::Body, http::StatusCode, response::Response};
use tower_http::catch_panic::{CatchPanic, CatchPanicLayer, ResponseForPanic};

use crate::problem::problem;

/// The service `S`, its panics answered with [`PanicAnswer`].
pub type PanicsAnswered<S> = CatchPanic<S, PanicAnswer>;

pub fn layer() -> CatchPanicLayer<PanicAnswer> {
    CatchPanicLayer::custom(PanicAnswer)
}

/// The 500 for a panic; its message goes to the log, never to the client.
#[derive(Clone, Copy, Debug)]
pub struct PanicAnswer;

impl ResponseForPanic for PanicAnswer {
    type ResponseBody = Body;

    fn response_for_panic(&mut self, panic: Box<dyn Any + Send + 'static>) -> Response {
        answer(&*panic)
    }
}

fn answer(panic: &(dyn Any + Send)) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a message)");
    tracing::error!(panic = message, "a panic while answering the request");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The server could not complete the request.",
        None,
    )
}
