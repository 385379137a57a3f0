//! The service: every accounts operation, without HTTP.
//!
//! [`Accounts`] is made per request ([`AccountsState::service`]) for one caller: nobody (sign-up,
//! sign-in, public profiles, sessions proven by their refresh token), a signed-in user (their own
//! user, profile and sessions) or an admin. What reaches beyond the caller's own rows — listing,
//! reading and deleting users, ending another user's or the root admin's sessions — is only on
//! [`AdminAccounts`], which [`Accounts::as_admin`] yields to an admin caller alone.
//!
//! It takes a connection from the accounts pool when it first needs one and keeps it for the
//! rest of the request, except across password hashing (tens of milliseconds of CPU that must
//! not hold a connection).

mod admin;
mod sessions;

use oxforge_auth::password;
use oxforge_auth::principal::UserClaims;
use oxforge_auth::{AuthError, Principal};
use oxforge_db::DbError;
use oxforge_db::deadpool_postgres::Object;
use serde_json::{Map, Value, json};

use crate::query::{self, UserRow};
use crate::session::{Issued, SessionKind};
use crate::{AccountsError, AccountsState, validate};

pub use admin::{AdminAccounts, UserList};
pub use sessions::{AdminSession, Refreshed};

/// Accounts for one request, on behalf of one caller.
pub struct Accounts<'a> {
    state: &'a AccountsState,
    caller: Option<Principal>,
    connection: Option<Object>,
}

/// A sign-up: the email and password as sent, and an optional display name.
#[derive(Debug, Clone, Copy)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub name: Option<&'a str>,
}

/// A user's new session: the user object and the session's tokens.
#[derive(Debug)]
pub struct UserSession {
    pub user: Value,
    pub issued: Issued,
}

/// What a sign-up yields.
#[derive(Debug)]
pub enum SignedUp {
    /// The new user signed in.
    Session(UserSession),
    /// An admin created the user: an access token for it, and no session for anyone.
    ByAdmin { user: Value, access_token: String },
}

impl AccountsState {
    /// Accounts for one request; `caller` is who presented a valid credential, if anyone did.
    pub fn service(&self, caller: Option<Principal>) -> Accounts<'_> {
        Accounts::for_caller(self, caller)
    }
}

impl<'a> Accounts<'a> {
    pub fn for_caller(state: &'a AccountsState, caller: Option<Principal>) -> Accounts<'a> {
        Accounts {
            state,
            caller,
            connection: None,
        }
    }

    /// The privileged operations, for an admin caller (the API key or an admin's token) only.
    pub fn as_admin(self) -> Result<AdminAccounts<'a>, AccountsError> {
        match &self.caller {
            Some(caller) if caller.is_admin() => Ok(AdminAccounts::new(self)),
            _ => Err(AuthError::AdminRequired.into()),
        }
    }

    /// This request's connection to the accounts pool, taken on first use.
    async fn db(&mut self) -> Result<&Object, AccountsError> {
        let connection = match self.connection.take() {
            Some(connection) => connection,
            None => self.state.pool.get().await.map_err(DbError::from)?,
        };
        Ok(self.connection.insert(connection))
    }

    /// Gives the connection back to the pool (before slow work).
    fn release(&mut self) {
        self.connection = None;
    }

    /// The signed-in user's id; a subject that is not a user id has no user.
    fn own_id(&self) -> Result<String, AccountsError> {
        match &self.caller {
            Some(Principal::User(UserClaims { sub, .. })) if validate::is_uuid(sub) => Ok(sub.clone()),
            Some(Principal::User(_)) => Err(AccountsError::UserNotFound),
            _ => Err(AuthError::InvalidToken.into()),
        }
    }

    /// Creates a user with an email and password; the user is signed in, unless an admin
    /// created it. Every sign-up counts against the client's limit. The auth configuration
    /// decides whether sign-up is open (to non-admins) and which passwords are accepted.
    pub async fn sign_up(&mut self, account: NewAccount<'_>, client: &str) -> Result<SignedUp, AccountsError> {
        let state = self.state;
        let email = validate::email(account.email)?;
        let by_admin = self.caller.as_ref().is_some_and(Principal::is_admin);
        let config = state.auth_config().await?;
        // Closed sign-up leaves admins free to create users, as in InsForge.
        if config.disable_signup && !by_admin {
            return Err(AccountsError::SignUpDisabled);
        }
        validate::password(account.password, &config)?;
        state.limits.sign_up(client)?;
        let profile = match account.name {
            Some(name) => json!({ "name": name }),
            None => json!({}),
        };
        let owned = account.password.to_owned();
        let hash = state.password_work.run(move || password::hash(&owned)).await??;
        let created = query::create_user(self.db().await?, &email, &hash, &profile.to_string()).await?;
        let user = created.ok_or(AccountsError::UserExists)?;
        if by_admin {
            let user_object = user_value(&user.json)?;
            let access_token = state.auth.sign_access_token(
                &user.id,
                Some(&user.email),
                SessionKind::User.role(),
                state.settings.access_token_ttl,
            )?;
            return Ok(SignedUp::ByAdmin {
                user: user_object,
                access_token,
            });
        }
        Ok(SignedUp::Session(self.start_user_session(&user).await?))
    }

    /// Signs in with email and password. Failures count per client address and per (address,
    /// email), so others' failures never stop a correct password from an address that has none.
    pub async fn sign_in(&mut self, email: &str, password: &str, client: &str) -> Result<UserSession, AccountsError> {
        let state = self.state;
        let email = validate::email(email)?;
        let attempt = state.limits.user_sign_in(client, &email)?;
        let user = query::user_by_email(self.db().await?, &email).await?;
        self.release();
        // The same answer, after about the same work, whether or not the email exists.
        let owned = password.to_owned();
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let matches = state
            .password_work
            .run(move || match stored {
                Some(hash) => password::verify(&owned, &hash),
                None => {
                    password::verify_nothing(&owned);
                    false
                }
            })
            .await?;
        let Some(user) = user.filter(|_| matches) else {
            attempt.failed();
            return Err(AccountsError::InvalidCredentials);
        };
        attempt.succeeded();
        self.start_user_session(&user).await
    }

    async fn start_user_session(&mut self, user: &UserRow) -> Result<UserSession, AccountsError> {
        let issued = self
            .start_session(SessionKind::User, &user.id, Some(&user.id), Some(&user.email))
            .await?;
        Ok(UserSession {
            user: user_value(&user.json)?,
            issued,
        })
    }

    /// The signed-in user's user object.
    pub async fn current_user(&mut self) -> Result<Value, AccountsError> {
        let id = self.own_id()?;
        let user = query::user_by_id(self.db().await?, &id).await?;
        user_value(&user.ok_or(AccountsError::UserNotFound)?.json)
    }

    /// `{id, profile}` of any user (profiles are public).
    pub async fn profile(&mut self, id: &str) -> Result<Value, AccountsError> {
        if !validate::is_uuid(id) {
            return Err(AccountsError::InvalidUserId);
        }
        let profile = query::profile(self.db().await?, id).await?;
        user_value(&profile.ok_or(AccountsError::UserNotFound)?)
    }

    /// Shallow-merges `patch` into the signed-in user's profile; returns `{id, profile}`.
    pub async fn update_own_profile(&mut self, patch: &Map<String, Value>) -> Result<Value, AccountsError> {
        let id = self.own_id()?;
        let patch = Value::Object(patch.clone()).to_string();
        let merged = query::merge_profile(self.db().await?, &id, &patch).await?;
        user_value(&merged.ok_or(AccountsError::UserNotFound)?)
    }

    /// Ends every session of the signed-in user; returns how many.
    pub async fn revoke_own_sessions(&mut self) -> Result<u64, AccountsError> {
        let id = self.own_id()?;
        Ok(query::revoke_sessions_of_user(self.db().await?, &id).await?)
    }
}

/// A user object (JSON text built by PostgreSQL) as a value.
fn user_value(json: &str) -> Result<Value, AccountsError> {
    Ok(serde_json::from_str(json)?)
}
