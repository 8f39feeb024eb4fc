//! Unit tests of the library's public pieces, one file per room of `src/` (no server started): the
//! rules of the model, the parsers, the limits. What needs the running app is in `tests/api/`.

mod middleware;
