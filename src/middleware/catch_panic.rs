//! A panic while answering (handler, router, guard) becomes a 500 problem+json, logged inside the
//! request's span, instead of hyper's connection task dropping the connection with no answer.
//! tower-http's `CatchPanic`, inside compression.

use std::any::Any;

use axum::{body::Body, http::StatusCode, response::Response};
use tower_http::catch_panic::{CatchPanic, CatchPanicLayer, ResponseForPanic};

use crate::problem::problem;

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
