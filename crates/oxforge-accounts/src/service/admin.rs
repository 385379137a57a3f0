//! What only an admin may do: reach other users' rows and the root admin's sessions.

use std::sync::Arc;

use oxforge_auth::Principal;
use serde_json::Value;

use super::{Accounts, user_value};
use crate::auth_config::{AuthConfig, AuthConfigPatch};
use crate::query;
use crate::session::SessionKind;
use crate::{AccountsError, validate};

/// Accounts for an admin caller ([`Accounts::as_admin`]).
pub struct AdminAccounts<'a> {
    accounts: Accounts<'a>,
}

/// A page of users (newest first) and how many match in all.
#[derive(Debug)]
pub struct UserList {
    pub users: Value,
    pub total: i64,
}

impl<'a> AdminAccounts<'a> {
    /// Only [`Accounts::as_admin`] makes one, after checking the caller.
    pub(super) fn new(accounts: Accounts<'a>) -> Self {
        AdminAccounts { accounts }
    }

    /// The admin's token subject, or `api-key` for the API key.
    pub fn subject(&self) -> String {
        match &self.accounts.caller {
            Some(Principal::Admin { sub: Some(sub) }) => sub.clone(),
            _ => "api-key".to_owned(),
        }
    }

    /// Users whose email contains `search` (if any), `limit` of them from `offset`.
    pub async fn list_users(
        &mut self,
        limit: i64,
        offset: i64,
        search: Option<&str>,
    ) -> Result<UserList, AccountsError> {
        let (users, total) = query::list_users(self.accounts.db().await?, limit, offset, search).await?;
        Ok(UserList {
            users: user_value(&users)?,
            total,
        })
    }

    /// A user's user object.
    pub async fn user(&mut self, id: &str) -> Result<Value, AccountsError> {
        if !validate::is_uuid(id) {
            return Err(AccountsError::InvalidUserId);
        }
        let user = query::user_by_id(self.accounts.db().await?, id).await?;
        user_value(&user.ok_or(AccountsError::UserNotFound)?.json)
    }

    /// Deletes users, their sessions with them; returns how many were deleted.
    pub async fn delete_users(&mut self, ids: &[String]) -> Result<u64, AccountsError> {
        if ids.is_empty() || ids.iter().any(|id| !validate::is_uuid(id)) {
            return Err(AccountsError::InvalidUserIds);
        }
        Ok(query::delete_users(self.accounts.db().await?, ids).await?)
    }

    /// Ends every session of one user; returns how many.
    pub async fn revoke_user_sessions(&mut self, id: &str) -> Result<u64, AccountsError> {
        if !validate::is_uuid(id) {
            return Err(AccountsError::InvalidUserId);
        }
        let db = self.accounts.db().await?;
        if !query::user_exists(db, id).await? {
            return Err(AccountsError::UserNotFound);
        }
        Ok(query::revoke_sessions_of_user(db, id).await?)
    }

    /// Ends every root admin session (rotating the API key does too); returns how many.
    pub async fn revoke_admin_sessions(&mut self) -> Result<u64, AccountsError> {
        let db = self.accounts.db().await?;
        Ok(query::revoke_sessions_of_type(db, SessionKind::Admin.name()).await?)
    }

    /// The auth configuration as the database has it now (created on first use).
    pub async fn auth_config(&mut self) -> Result<Arc<AuthConfig>, AccountsError> {
        let state = self.accounts.state;
        let seed = state.seed_min_length();
        let record = query::auth_config(self.accounts.db().await?, seed).await?;
        Ok(state.config.store_written(record))
    }

    /// Applies a checked partial update and returns the whole record; it takes effect in this
    /// process at once (sign-up, public config) and in others sharing the database within a
    /// second. An empty update changes nothing, `updatedAt` included.
    pub async fn update_auth_config(&mut self, patch: &AuthConfigPatch) -> Result<Arc<AuthConfig>, AccountsError> {
        // oxforge sends no email yet: requiring verification would lock every new user out.
        if patch.require_email_verification == Some(true) {
            return Err(AccountsError::EmailProviderNotConfigured);
        }
        let current = self.auth_config().await?;
        if patch.is_empty() {
            return Ok(current);
        }
        let state = self.accounts.state;
        let record = query::update_auth_config(self.accounts.db().await?, patch).await?;
        Ok(state.config.store_written(record))
    }
}
