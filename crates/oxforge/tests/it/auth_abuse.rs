//! Abuse of sign-in and of sessions: brute force and lockout (per address, behind trusted proxies
//! only), weak root admin passwords, admin sessions that outlive their credentials, the absolute
//! session lifetime, revoking every session, API key rotation.

use std::time::Duration;

use oxforge_testkit::{TestServer, cluster, http};
use serde_json::json;

use crate::support::{Raw, assert_envelope, send, send_raw};

const ADMIN_PASSWORD: &str = "a-long-admin-password";
const ATTACKER: &str = "198.51.100.66";
const VICTIM: &str = "203.0.113.7";

/// The root admin's sign-in from `address` (sent as `X-Forwarded-For`).
async fn admin_sign_in(server: &TestServer, address: &str, username: &str, password: &str) -> Raw {
    send_raw(
        http()
            .post(server.at("/api/auth/admin/sessions"))
            .header("x-forwarded-for", address)
            .json(&json!({"username": username, "password": password})),
    )
    .await
}

/// A user's sign-in (non-web: the refresh token is in the body) from `address`.
async fn user_sign_in(server: &TestServer, address: &str, email: &str, password: &str) -> Raw {
    send_raw(
        http()
            .post(server.at("/api/auth/sessions?client_type=mobile"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": email, "password": password})),
    )
    .await
}

async fn user_sign_up(server: &TestServer, address: &str, email: &str) -> Raw {
    send_raw(
        http()
            .post(server.at("/api/auth/users?client_type=mobile"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": email, "password": "secret123"})),
    )
    .await
}

fn assert_too_many(raw: &Raw) {
    assert_envelope(
        raw.status,
        &raw.json(),
        429,
        "TOO_MANY_REQUESTS",
        "Too many requests, please try again later",
    );
    let retry: u64 = raw.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!(retry >= 1, "Retry-After: {retry}");
}

/// An admin web session: the refresh cookie (`name=value`) and its CSRF token.
struct AdminSession {
    cookie: String,
    csrf: String,
}

impl AdminSession {
    fn from(raw: &Raw) -> AdminSession {
        assert_eq!(raw.status, 200, "{}", raw.text);
        let cookie = raw.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
        let csrf = raw.json()["csrfToken"].as_str().unwrap().to_owned();
        AdminSession { cookie, csrf }
    }

    async fn start(server: &TestServer, username: &str) -> AdminSession {
        AdminSession::from(&admin_sign_in(server, "127.0.0.1", username, ADMIN_PASSWORD).await)
    }

    /// Refreshes; on success the session moves to the rotated cookie.
    async fn refresh(&mut self, server: &TestServer) -> Raw {
        let raw = send_raw(
            http()
                .post(server.at("/api/auth/admin/refresh"))
                .header("Cookie", &self.cookie)
                .header("X-CSRF-Token", &self.csrf),
        )
        .await;
        if raw.status == 200 {
            self.cookie = raw.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
        }
        raw
    }
}

/// A user's mobile refresh.
async fn user_refresh(server: &TestServer, refresh_token: &str) -> Raw {
    send_raw(
        http()
            .post(server.at("/api/auth/refresh?client_type=mobile"))
            .json(&json!({"refreshToken": refresh_token})),
    )
    .await
}

fn field(raw: &Raw, name: &str) -> String {
    raw.json()[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {}", raw.text))
        .to_owned()
}

#[tokio::test]
async fn admin_brute_force_is_stopped_per_address_while_the_admin_signs_in_elsewhere() {
    let server = TestServer::start_with(|c| {
        c.root_admin_password = Some(ADMIN_PASSWORD.into());
        c.trusted_proxies = vec!["127.0.0.1".into()];
        c.capabilities.accounts.admin_sign_in_failures = 3;
    })
    .await;
    for guess in 0..3 {
        let raw = admin_sign_in(&server, ATTACKER, "admin", &format!("guess-{guess}")).await;
        assert_eq!(raw.status, 401, "{}", raw.text);
    }
    // The address now waits, whatever it sends, even the right password.
    assert_too_many(&admin_sign_in(&server, ATTACKER, "admin", "guess-3").await);
    assert_too_many(&admin_sign_in(&server, ATTACKER, "admin", ADMIN_PASSWORD).await);
    // The admin, from another address, is not affected.
    let raw = admin_sign_in(&server, VICTIM, "admin", ADMIN_PASSWORD).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    // An IPv6 attacker cannot escape by changing addresses inside its /64.
    for (i, address) in ["2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:ffff::3"]
        .iter()
        .enumerate()
    {
        let raw = admin_sign_in(&server, address, "admin", "nope").await;
        assert_eq!(raw.status, 401, "failure {i}: {}", raw.text);
    }
    assert_too_many(&admin_sign_in(&server, "2001:db8:0:1:abcd::9", "admin", "nope").await);
    server.stop().await;
}

#[tokio::test]
async fn admin_failures_are_capped_over_all_addresses() {
    let server = TestServer::start_with(|c| {
        c.root_admin_password = Some(ADMIN_PASSWORD.into());
        c.trusted_proxies = vec!["127.0.0.1".into()];
        c.capabilities.accounts.admin_sign_in_global_failures = 4;
    })
    .await;
    for i in 0..4 {
        let raw = admin_sign_in(&server, &format!("192.0.2.{i}"), "admin", "nope").await;
        assert_eq!(raw.status, 401, "{}", raw.text);
    }
    assert_too_many(&admin_sign_in(&server, "192.0.2.200", "admin", "nope").await);
    server.stop().await;
}

#[tokio::test]
async fn forwarded_for_is_ignored_without_trusted_proxies() {
    let server = TestServer::start_with(|c| {
        c.root_admin_password = Some(ADMIN_PASSWORD.into());
        c.capabilities.accounts.admin_sign_in_failures = 2;
    })
    .await;
    for _ in 0..2 {
        assert_eq!(admin_sign_in(&server, ATTACKER, "admin", "nope").await.status, 401);
    }
    // Claiming another address changes nothing: the peer (127.0.0.1) is the client.
    assert_too_many(&admin_sign_in(&server, VICTIM, "admin", ADMIN_PASSWORD).await);
    server.stop().await;
}

#[tokio::test]
async fn attackers_failures_do_not_lock_the_victim_out() {
    let server = TestServer::start_with(|c| {
        c.capabilities.accounts.auth_rate_limit = 3;
        c.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    assert_eq!(user_sign_up(&server, VICTIM, "victim@x.io").await.status, 200);
    for _ in 0..3 {
        assert_eq!(
            user_sign_in(&server, ATTACKER, "victim@x.io", "guess").await.status,
            401
        );
    }
    assert_too_many(&user_sign_in(&server, ATTACKER, "victim@x.io", "guess").await);
    // The attacker's address is spent for every email…
    assert_too_many(&user_sign_in(&server, ATTACKER, "other@x.io", "guess").await);
    // …but the victim signs in from elsewhere, as often as they like: successes are not counted.
    for _ in 0..5 {
        let raw = user_sign_in(&server, VICTIM, "victim@x.io", "secret123").await;
        assert_eq!(raw.status, 200, "{}", raw.text);
    }

    // Sign-ups stay limited per address (every attempt counts), and only per address.
    for i in 0..3 {
        assert_eq!(
            user_sign_up(&server, ATTACKER, &format!("bot{i}@x.io")).await.status,
            200
        );
    }
    assert_too_many(&user_sign_up(&server, ATTACKER, "bot3@x.io").await);
    assert_eq!(user_sign_up(&server, "192.0.2.44", "bot3@x.io").await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn weak_root_admin_passwords_are_refused_at_start() {
    let database = cluster().database_from_template().await;
    for weak in ["admin", "password", "change-this-password", "eleven-char"] {
        let Err(error) = TestServer::try_start_on(&database, |c| c.root_admin_password = Some(weak.into())).await
        else {
            panic!("{weak:?} was accepted");
        };
        let message = error.to_string();
        assert!(
            message.contains("ROOT_ADMIN_PASSWORD is too weak") && message.contains("at least 12 characters"),
            "{weak:?}: {message}"
        );
    }
    let server = TestServer::start_on(&database, |c| c.root_admin_password = Some(ADMIN_PASSWORD.into())).await;
    server.stop().await;
}

#[tokio::test]
async fn admin_sessions_end_when_the_root_admin_credentials_change() {
    let first = TestServer::start_with(|c| c.root_admin_password = Some(ADMIN_PASSWORD.into())).await;
    let database = first.database.clone();
    let mut session = AdminSession::start(&first, "admin").await;
    first.stop().await;

    // Same credentials after a restart: the session lives on.
    let same = TestServer::start_on(&database, |c| c.root_admin_password = Some(ADMIN_PASSWORD.into())).await;
    let raw = session.refresh(&same).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    same.stop().await;

    // Another username (same password): refused.
    let renamed = TestServer::start_on(&database, |c| {
        c.root_admin_username = Some("root".into());
        c.root_admin_password = Some(ADMIN_PASSWORD.into());
    })
    .await;
    let raw = session.refresh(&renamed).await;
    assert_envelope(
        raw.status,
        &raw.json(),
        401,
        "AUTH_UNAUTHORIZED",
        "Invalid refresh token",
    );
    let mut session = AdminSession::start(&renamed, "root").await;
    assert_eq!(session.refresh(&renamed).await.status, 200);
    renamed.stop().await;

    // Another password: refused too, and the new one works.
    let changed = TestServer::start_on(&database, |c| {
        c.root_admin_username = Some("root".into());
        c.root_admin_password = Some("another-long-password".into());
    })
    .await;
    let raw = session.refresh(&changed).await;
    assert_envelope(
        raw.status,
        &raw.json(),
        401,
        "AUTH_UNAUTHORIZED",
        "Invalid refresh token",
    );
    let raw = admin_sign_in(&changed, "127.0.0.1", "root", "another-long-password").await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    changed.stop().await;
}

#[tokio::test]
async fn refreshing_cannot_extend_a_session_beyond_its_maximum_lifetime() {
    let server = TestServer::start_with(|c| {
        c.root_admin_password = Some(ADMIN_PASSWORD.into());
        c.capabilities.accounts.session_max_lifetime = 2;
    })
    .await;
    let raw = admin_sign_in(&server, "127.0.0.1", "admin", ADMIN_PASSWORD).await;
    assert!(
        raw.header("set-cookie").unwrap().contains("Max-Age=2;"),
        "{:?}",
        raw.header("set-cookie")
    );
    let mut admin = AdminSession::from(&raw);
    let user = user_sign_up(&server, "127.0.0.1", "lifetime@x.io").await;
    let mut refresh_token = field(&user, "refreshToken");

    // Refreshing works, but each refresh only gets what is left.
    let raw = admin.refresh(&server).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    let max_age: i64 = raw
        .header("set-cookie")
        .unwrap()
        .split("Max-Age=")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&max_age), "Max-Age={max_age}");
    let raw = user_refresh(&server, &refresh_token).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    refresh_token = field(&raw, "refreshToken");

    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let raw = admin.refresh(&server).await;
    assert_eq!(raw.status, 401, "{}", raw.text);
    let raw = user_refresh(&server, &refresh_token).await;
    assert_eq!(raw.status, 401, "{}", raw.text);
    // A new sign-in starts a new session.
    assert_eq!(
        AdminSession::start(&server, "admin")
            .await
            .refresh(&server)
            .await
            .status,
        200
    );
    server.stop().await;
}

#[tokio::test]
async fn revoke_all_for_the_admin_and_for_users() {
    let server = TestServer::start_with(|c| c.root_admin_password = Some(ADMIN_PASSWORD.into())).await;
    let revoke = |path: &str, token: &str| http().post(server.at(path)).bearer_auth(token.to_owned());

    // The admin: every admin session ends.
    let mut one = AdminSession::start(&server, "admin").await;
    let mut two = AdminSession::start(&server, "admin").await;
    let admin_token = field(
        &admin_sign_in(&server, "127.0.0.1", "admin", ADMIN_PASSWORD).await,
        "accessToken",
    );
    let (status, body) = send(revoke("/api/oxforge/auth/admin/sessions/revoke-all", &admin_token)).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"success": true, "revokedCount": 3}))
    );
    assert_eq!(one.refresh(&server).await.status, 401);
    assert_eq!(two.refresh(&server).await.status, 401);

    // A user ends all of their own sessions, and only theirs.
    let ann = user_sign_up(&server, "127.0.0.1", "ann@x.io").await;
    let ann_second = user_sign_in(&server, "127.0.0.1", "ann@x.io", "secret123").await;
    let bob = user_sign_up(&server, "127.0.0.1", "bob@x.io").await;
    let (status, body) = send(revoke(
        "/api/oxforge/auth/sessions/revoke-all",
        &field(&ann, "accessToken"),
    ))
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"success": true, "revokedCount": 2}))
    );
    for session in [&ann, &ann_second] {
        assert_eq!(user_refresh(&server, &field(session, "refreshToken")).await.status, 401);
    }
    let bob_refreshed = user_refresh(&server, &field(&bob, "refreshToken")).await;
    assert_eq!(bob_refreshed.status, 200, "{}", bob_refreshed.text);

    // The admin ends all of one user's sessions.
    let bob_id = bob.json()["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/oxforge/auth/users/{bob_id}/sessions/revoke-all");
    let (status, _) = send(revoke(&path, &field(&bob, "accessToken"))).await;
    assert_eq!(status, 403, "a user cannot");
    let (status, body) = send(revoke(&path, server.api_key())).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"success": true, "revokedCount": 1}))
    );
    assert_eq!(
        user_refresh(&server, &field(&bob_refreshed, "refreshToken"))
            .await
            .status,
        401
    );
    let (status, body) = send(revoke(
        "/api/oxforge/auth/users/00000000-0000-4000-8000-000000000000/sessions/revoke-all",
        server.api_key(),
    ))
    .await;
    assert_envelope(status, &body, 404, "AUTH_USER_NOT_FOUND", "User not found");
    // Signing in again works.
    assert_eq!(
        user_sign_in(&server, "127.0.0.1", "bob@x.io", "secret123").await.status,
        200
    );
    server.stop().await;
}

#[tokio::test]
async fn rotating_the_api_key_ends_admin_sessions() {
    let server = TestServer::start_with(|c| c.root_admin_password = Some(ADMIN_PASSWORD.into())).await;
    let mut admin = AdminSession::start(&server, "admin").await;
    let user = user_sign_up(&server, "127.0.0.1", "keeps@x.io").await;
    let (status, body) = send(
        http()
            .post(server.at("/api/secrets/api-key/rotate"))
            .bearer_auth(server.api_key())
            .json(&json!({"gracePeriodHours": 1})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let raw = admin.refresh(&server).await;
    assert_envelope(
        raw.status,
        &raw.json(),
        401,
        "AUTH_UNAUTHORIZED",
        "Invalid refresh token",
    );
    // Users' sessions are not the admin's: they live on.
    assert_eq!(user_refresh(&server, &field(&user, "refreshToken")).await.status, 200);
    assert_eq!(
        AdminSession::start(&server, "admin")
            .await
            .refresh(&server)
            .await
            .status,
        200
    );
    server.stop().await;
}
