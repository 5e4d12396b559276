//! The check every protected route runs, as an argument of its handler: `_: Authorized<Write>`
//! holds only once the request's bearer key was found to hold that scope
//! ([`crate::auth::KeyChecker::authorize`]: 401, 403, 429 or 400 otherwise, as problem
//! documents). It runs as actix extracts the arguments, in their order, so a handler names
//! it first: a body or a query that does not parse must not answer before the key is checked.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use crate::auth::Scope;
use crate::error::ApiError;
use crate::state::AppState;

/// The scope a handler needs, as a type: `Authorized<Read>`, `Authorized<Write>`,
/// `Authorized<Admin>`.
pub trait NeededScope {
    const SCOPE: Scope;
}

/// Reading customers, the feed and places.
#[derive(Debug)]
pub struct Read;
/// Creating and updating customers (and reading).
#[derive(Debug)]
pub struct Write;
/// Erasure and suppressions (and everything else).
#[derive(Debug)]
pub struct Admin;

impl NeededScope for Read {
    const SCOPE: Scope = Scope::Read;
}
impl NeededScope for Write {
    const SCOPE: Scope = Scope::Write;
}
impl NeededScope for Admin {
    const SCOPE: Scope = Scope::Admin;
}

/// Proof that the request's bearer key holds at least `S`'s scope: extracting it runs
/// [`crate::auth::KeyChecker::authorize`].
#[derive(Debug)]
pub struct Authorized<S> {
    /// The scope the key holds (at least the one needed).
    pub held: Scope,
    needed: PhantomData<S>,
}

impl<S: NeededScope> FromRequest for Authorized<S> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal("the app has no AppState".into()))?;
            let held = state
                .keys
                .authorize(&request, S::SCOPE, async |id| {
                    state.read(move |store| store.find_active_key(&id)).await
                })
                .await?;
            Ok(Authorized {
                held,
                needed: PhantomData,
            })
        })
    }
}
