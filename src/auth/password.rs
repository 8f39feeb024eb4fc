//! Argon2id password hashes at OWASP's Password Storage Cheat Sheet row m=19 MiB, t=2, p=1,
//! computed off the async threads (`spawn_blocking`) behind a semaphore: each hash holds its 19 MiB
//! while it runs, so at most [`in_flight`] of them run at once whatever the number of sign-ins;
//! the rest wait, their wait bounded by the request timeout (a dropped request leaves the queue).

use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};
use tokio::sync::Semaphore;
use unicode_normalization::UnicodeNormalization;

/// OWASP's second Argon2id row: 19 MiB (19456 KiB), two passes, one lane.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const PASSES: u32 = 2;
pub const LANES: u32 = 1;

/// One hash per core: a hash is pure CPU, so more at once only queue on the cores while each holds
/// its memory. At most 16 (16 × 19 MiB = 304 MiB) however many cores the machine has.
pub fn in_flight() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| cores.get().min(16))
}

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// Verified for an unknown username, so it costs what a wrong password costs.
    dummy: Arc<str>,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("the password hasher failed: {0}")]
    Argon2(String),
    #[error("the password hasher's task ended: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl Hasher {
    pub fn new() -> Result<Self, HashError> {
        let dummy = hash_now("an unknown user's password, never a real one")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(in_flight())),
            dummy: dummy.into(),
        })
    }

    /// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password`.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash_now(&password)).await?
    }

    /// Whether `password` is the one `stored` was made from. `None`: the user is unknown, and the
    /// dummy hash is verified instead, so the answer takes the same time.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy.to_string());
        let matches = self.run(move || verify_now(&password, &stored)).await?;
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        // Never closed, so `acquire_owned` only waits. The permit moves into the task: a request
        // dropped meanwhile (timeout, closed connection) cannot free it before the hash is done.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|closed| HashError::Argon2(closed.to_string()))?;
        Ok(tokio::task::spawn_blocking(move || {
            let done = work();
            drop(permit);
            done
        })
        .await?)
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn normalized(password: &str) -> String {
    password.nfkc().collect()
}

fn hash_now(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(normalized(password).as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| HashError::Argon2(error.to_string()))
}

/// The parameters come from `stored`, so hashes made before a change of them still verify.
fn verify_now(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        argon2()
            .verify_password(normalized(password).as_bytes(), &hash)
            .is_ok()
    })
}
