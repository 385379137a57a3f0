//! Email/password accounts: sign-up, sign-in, refresh with rotation and CSRF, logout, profiles,
//! admin user management, rate limiting.

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use oxforge_testkit::{TestServer, http};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Data, assert_envelope, assert_pgrst, send, send_raw};

/// A web client's view of a session response: body, refresh cookie value, raw Set-Cookie.
struct WebSession {
    status: StatusCode,
    body: Value,
    cookie: Option<String>,
    set_cookie: Option<String>,
}

async fn post_web(url: &str, body: Option<Value>, cookie: Option<&str>, csrf: Option<&str>) -> WebSession {
    let mut request = http().post(url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(cookie) = cookie {
        request = request.header("Cookie", format!("insforge_refresh_token={cookie}"));
    }
    if let Some(csrf) = csrf {
        request = request.header("X-CSRF-Token", csrf);
    }
    let raw = send_raw(request).await;
    let set_cookie = raw.header("set-cookie").map(str::to_owned);
    let cookie = set_cookie
        .as_deref()
        .and_then(|c| c.split(';').next())
        .and_then(|c| c.strip_prefix("insforge_refresh_token="))
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    WebSession {
        status: raw.status,
        body: if raw.text.is_empty() { Value::Null } else { raw.json() },
        cookie,
        set_cookie,
    }
}

fn sign_up_body(email: &str) -> Value {
    json!({"email": email, "password": "secret123", "name": "Ann"})
}

#[tokio::test]
async fn sign_up_and_sign_in_web_and_mobile() {
    let server = TestServer::start().await;
    let s = post_web(
        &server.at("/api/auth/users"),
        Some(sign_up_body("  Ann@Example.com ")),
        None,
        None,
    )
    .await;
    assert_eq!(s.status, 200, "{}", s.body);
    let keys: Vec<&str> = s.body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["user", "accessToken", "requireEmailVerification", "csrfToken"]);
    let user = &s.body["user"];
    let user_keys: Vec<&str> = user.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        user_keys,
        [
            "id",
            "email",
            "emailVerified",
            "providers",
            "createdAt",
            "updatedAt",
            "profile",
            "metadata"
        ]
    );
    assert_eq!(
        (
            user["email"].as_str(),
            user["providers"].clone(),
            user["profile"].clone()
        ),
        (Some("ann@example.com"), json!(["email"]), json!({"name":"Ann"}))
    );
    assert!(user["createdAt"].as_str().unwrap().ends_with('Z'));
    let set_cookie = s.set_cookie.unwrap();
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=None",
        "Path=/api/auth",
        "Max-Age=604800",
    ] {
        assert!(set_cookie.contains(attribute), "{attribute} in {set_cookie}");
    }

    // The access token: RS256 with the project kid, InsForge's claims, 15 minutes.
    let token = s.body["accessToken"].as_str().unwrap();
    let header = decode_header(token).unwrap();
    assert_eq!(
        (header.alg, header.kid.as_deref()),
        (Algorithm::RS256, Some(server.info().secrets.key_pair.kid.as_str()))
    );
    let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(token).unwrap().claims;
    assert_eq!(claims["sub"], user["id"]);
    assert_eq!(
        (claims["email"].as_str(), claims["role"].as_str()),
        (Some("ann@example.com"), Some("authenticated"))
    );
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);

    // Mobile sign-in: refresh token in the body, no cookie.
    let raw = send_raw(
        http()
            .post(server.at("/api/auth/sessions?client_type=mobile"))
            .json(&json!({"email":"ANN@example.com","password":"secret123"})),
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    let body = raw.json();
    let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["user", "accessToken", "refreshToken"]);
    assert!(raw.header("set-cookie").is_none());

    // Wrong password and unknown email: the same answer.
    for body in [
        json!({"email":"ann@example.com","password":"nope"}),
        json!({"email":"nobody@example.com","password":"secret123"}),
    ] {
        let (status, body) = send(http().post(server.at("/api/auth/sessions")).json(&body)).await;
        assert_envelope(status, &body, 401, "AUTH_UNAUTHORIZED", "Invalid credentials");
    }
    server.stop().await;
}

#[tokio::test]
async fn sign_up_validation_and_duplicates() {
    let server = TestServer::start().await;
    let url = server.at("/api/auth/users");
    let cases = [
        (json!({}), "email: Required, password: Required"),
        (
            json!({"email":"not-an-email","password":"secret123"}),
            "email: Invalid email",
        ),
        (
            json!({"email":"a@b.io","password":"12345"}),
            "Password must be at least 6 characters long",
        ),
        (
            json!({"email":"a@b.io","password":"x".repeat(300)}),
            "password: String must contain at most 256 character(s)",
        ),
    ];
    for (body, message) in cases {
        let (status, got) = send(http().post(&url).json(&body)).await;
        assert_envelope(status, &got, 400, "INVALID_INPUT", message);
    }
    let (status, body) = send(
        http()
            .post(&url)
            .json(&json!({"email":"Ünïcode@Exämple.org","password":"secret123"})),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["user"]["email"].as_str()),
        (200, Some("ünïcode@exämple.org"))
    );
    let (status, body) = send(
        http()
            .post(&url)
            .json(&json!({"email":"ünïcode@exämple.org","password":"other123"})),
    )
    .await;
    assert_envelope(status, &body, 409, "AUTH_EMAIL_EXISTS", "User already exists");

    // Concurrent sign-ups of one email: exactly one wins.
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let url = url.clone();
        attempts.spawn(async move {
            send(
                http()
                    .post(&url)
                    .json(&json!({"email":"race@x.io","password":"secret123"})),
            )
            .await
        });
    }
    let results = attempts.join_all().await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let conflicts = results
        .iter()
        .filter(|(s, b)| *s == 409 && b["error"] == "AUTH_EMAIL_EXISTS")
        .count();
    assert_eq!((ok, conflicts), (1, 7));

    // A bad credential on sign-up is an error, not anonymous sign-up.
    let (status, _) = send(
        http()
            .post(&url)
            .bearer_auth("anon_wrong")
            .json(&sign_up_body("c@x.io")),
    )
    .await;
    assert_eq!(status, 401);
    // With the anon key, as the SDK sends it, it works.
    let (status, _) = send(
        http()
            .post(&url)
            .bearer_auth(server.anon_key())
            .json(&sign_up_body("d@x.io")),
    )
    .await;
    assert_eq!(status, 200);
    // An admin creating a user gets no session cookie.
    let raw = send_raw(
        http()
            .post(&url)
            .bearer_auth(server.api_key())
            .json(&sign_up_body("e@x.io")),
    )
    .await;
    assert_eq!(raw.status, 200);
    assert!(
        raw.header("set-cookie").is_none()
            && raw.json().get("csrfToken").is_none()
            && raw.json()["accessToken"].is_string()
    );
    server.stop().await;
}

#[tokio::test]
async fn web_refresh_rotates_and_checks_csrf() {
    let server = TestServer::start().await;
    let s = post_web(&server.at("/api/auth/users"), Some(sign_up_body("r@x.io")), None, None).await;
    let (first, csrf) = (s.cookie.unwrap(), s.body["csrfToken"].as_str().unwrap().to_owned());
    let refresh_url = server.at("/api/auth/refresh");

    let r = post_web(&refresh_url, None, Some(&first), Some("wrong")).await;
    assert_envelope(r.status, &r.body, 403, "FORBIDDEN", "Invalid CSRF token");
    let r = post_web(&refresh_url, None, None, Some(&csrf)).await;
    assert_envelope(r.status, &r.body, 401, "AUTH_UNAUTHORIZED", "No refresh token provided");
    assert!(r.set_cookie.unwrap().contains("Max-Age=0"), "401 clears the cookie");

    let r = post_web(&refresh_url, None, Some(&first), Some(&csrf)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let keys: Vec<&str> = r.body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["accessToken", "user", "csrfToken"]);
    assert_eq!(r.body["csrfToken"], csrf.as_str(), "the CSRF value survives rotation");
    assert_eq!(r.body["user"]["email"], "r@x.io");
    let second = r.cookie.unwrap();
    assert_ne!(second, first);
    // The old refresh token no longer works; the new one does.
    let r = post_web(&refresh_url, None, Some(&first), Some(&csrf)).await;
    assert_envelope(r.status, &r.body, 401, "AUTH_UNAUTHORIZED", "Invalid refresh token");
    let r = post_web(&refresh_url, None, Some(&second), Some(&csrf)).await;
    assert_eq!(r.status, 200);
    let third = r.cookie.unwrap();
    // A refresh token is never an access token.
    let (status, _) = send(http().get(server.at("/api/auth/sessions/current")).bearer_auth(&third)).await;
    assert_eq!(status, 401);

    // Logout revokes the session and clears the cookie.
    let r = post_web(&server.at("/api/auth/logout"), None, Some(&third), Some("wrong")).await;
    assert_eq!(r.status, 403);
    let r = post_web(&server.at("/api/auth/logout"), None, Some(&third), Some(&csrf)).await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (200, json!({"success": true, "message": "Logged out successfully"}))
    );
    assert!(r.set_cookie.unwrap().contains("Max-Age=0"));
    let r = post_web(&refresh_url, None, Some(&third), Some(&csrf)).await;
    assert_eq!(r.status, 401);
    server.stop().await;
}

#[tokio::test]
async fn mobile_refresh_deleted_users_and_current_session() {
    let server = TestServer::start().await;
    let raw = send_raw(
        http()
            .post(server.at("/api/auth/users?client_type=mobile"))
            .json(&sign_up_body("m@x.io")),
    )
    .await;
    let body = raw.json();
    let (user_id, access, refresh) = (
        body["user"]["id"].as_str().unwrap().to_owned(),
        body["accessToken"].as_str().unwrap().to_owned(),
        body["refreshToken"].as_str().unwrap().to_owned(),
    );
    let url = server.at("/api/auth/refresh?client_type=mobile");
    let (status, body) = send(http().post(&url).json(&json!({}))).await;
    assert_envelope(status, &body, 400, "INVALID_INPUT", "refreshToken: Required");
    // camelCase (the HTTP client) and snake_case (auth.refreshSession) are both accepted.
    let (status, body) = send(http().post(&url).json(&json!({"refreshToken": refresh}))).await;
    assert_eq!(status, 200, "{body}");
    let next = body["refreshToken"].as_str().unwrap().to_owned();
    let (status, body) = send(http().post(&url).json(&json!({"refresh_token": next}))).await;
    assert_eq!(status, 200, "{body}");
    let latest = body["refreshToken"].as_str().unwrap().to_owned();

    let (status, body) = send(http().get(server.at("/api/auth/sessions/current")).bearer_auth(&access)).await;
    assert_eq!(
        (status.as_u16(), body["user"]["id"].as_str()),
        (200, Some(user_id.as_str()))
    );
    let (status, body) = send(
        http()
            .get(server.at("/api/auth/sessions/current"))
            .bearer_auth(server.anon_key()),
    )
    .await;
    assert_envelope(status, &body, 401, "AUTH_UNAUTHORIZED", "Invalid token");

    // A signed-in user's token runs data requests as `authenticated` with auth.uid() = their id.
    server
        .sql("CREATE TABLE public.notes (id serial PRIMARY KEY, owner uuid NOT NULL DEFAULT auth.uid(), body text);
              ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
              CREATE POLICY own ON public.notes FOR ALL TO authenticated USING (owner = auth.uid()) WITH CHECK (owner = auth.uid());")
        .await;
    let raw = send_raw(
        Data::new(&server, &access)
            .post("notes?select=owner", json!({"body":"hi"}))
            .header("Prefer", "return=representation"),
    )
    .await;
    assert_eq!(raw.json(), json!([{"owner": user_id}]));

    // Deleting the user ends their sessions.
    let (status, body) = send(
        http()
            .delete(server.at("/api/auth/users"))
            .bearer_auth(server.api_key())
            .json(&json!({"userIds": [user_id]})),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"message":"Users deleted successfully","deletedCount":1}))
    );
    let (status, body) = send(http().post(&url).json(&json!({"refreshToken": latest}))).await;
    assert_envelope(status, &body, 401, "AUTH_UNAUTHORIZED", "User not found");
    let (status, body) = send(http().get(server.at("/api/auth/sessions/current")).bearer_auth(&access)).await;
    assert_envelope(status, &body, 404, "AUTH_USER_NOT_FOUND", "User not found");
    server.stop().await;
}

#[tokio::test]
async fn expired_access_tokens_are_auth_unauthorized() {
    let server = TestServer::start_with(|c| c.capabilities.accounts.access_token_ttl = 1).await;
    let (_, body) = send(http().post(server.at("/api/auth/users")).json(&sign_up_body("x@x.io"))).await;
    let access = body["accessToken"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let raw = send_raw(Data::new(&server, &access).get("nothing")).await;
    assert_eq!(raw.status, 401);
    assert_eq!(
        raw.json()["error"],
        "AUTH_UNAUTHORIZED",
        "the code that makes the SDK refresh"
    );
    server.stop().await;
}

#[tokio::test]
async fn profiles_config_and_admin_user_management() {
    let server = TestServer::start().await;
    let mut ids = Vec::new();
    for email in ["p1@x.io", "p2@x.io", "other@y.io"] {
        let (_, body) = send(http().post(server.at("/api/auth/users")).json(&sign_up_body(email))).await;
        ids.push((
            body["user"]["id"].as_str().unwrap().to_owned(),
            body["accessToken"].as_str().unwrap().to_owned(),
        ));
    }
    let (id, token) = &ids[0];
    let (status, body) = send(http().get(server.at(&format!("/api/auth/profiles/{id}")))).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"id": id, "profile": {"name": "Ann"}}))
    );
    let (status, body) = send(
        http()
            .patch(server.at("/api/auth/profiles/current"))
            .bearer_auth(token)
            .json(&json!({"profile": {"avatar": "a.png"}})),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"id": id, "profile": {"name": "Ann", "avatar": "a.png"}})),
        "merged, not replaced"
    );
    let (status, body) = send(
        http()
            .patch(server.at("/api/auth/profiles/current"))
            .bearer_auth(token)
            .json(&json!({"profile": 5})),
    )
    .await;
    assert_envelope(status, &body, 400, "INVALID_INPUT", "profile: Expected object");
    let (status, body) = send(http().get(server.at("/api/auth/profiles/not-a-uuid"))).await;
    assert_envelope(status, &body, 400, "INVALID_INPUT", "Invalid user ID");
    let (status, body) = send(http().get(server.at("/api/auth/profiles/00000000-0000-0000-0000-000000000000"))).await;
    assert_envelope(status, &body, 404, "AUTH_USER_NOT_FOUND", "User not found");

    let (status, body) = send(http().get(server.at("/api/auth/public-config"))).await;
    assert_eq!(
        (
            status.as_u16(),
            body["passwordMinLength"].clone(),
            body["requireEmailVerification"].clone()
        ),
        (200, json!(6), json!(false))
    );

    let admin = |path: &str| http().get(server.at(path)).bearer_auth(server.api_key());
    let (status, body) = send(admin("/api/auth/users?limit=2&offset=0")).await;
    assert_eq!(status, 200);
    assert_eq!(body["pagination"], json!({"offset": 0, "limit": 2, "total": 3}));
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    let (_, body) = send(admin("/api/auth/users?search=X.IO")).await;
    assert_eq!(body["pagination"]["total"], 2);
    let (status, body) = send(admin(&format!("/api/auth/users/{id}"))).await;
    assert_eq!((status.as_u16(), body["email"].as_str()), (200, Some("p1@x.io")));
    let (status, body) = send(http().get(server.at("/api/auth/users")).bearer_auth(token)).await;
    assert_envelope(status, &body, 403, "AUTH_UNAUTHORIZED", "Admin access required");
    let (status, body) = send(
        http()
            .delete(server.at("/api/auth/users"))
            .bearer_auth(server.api_key())
            .json(&json!({"userIds": ["bad"]})),
    )
    .await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("INVALID_INPUT")));

    let (status, body) = send(
        http()
            .post(server.at("/api/auth/email/send-otp"))
            .json(&json!({"email":"p1@x.io"})),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (501, Some("EMAIL_NOT_CONFIGURED"))
    );
    server.stop().await;
}

#[tokio::test]
async fn imported_bcrypt_users_sign_in() {
    let server = TestServer::start().await;
    // A user as InsForge stores it: bcryptjs, cost 10 (hash of "correct horse").
    server
        .sql("INSERT INTO auth.users (email, password) VALUES ('old@insforge.dev', '$2a$10$s/36h8T6VUq9./fsBgcQIOSyNxeXxBv9MPOv.fTlAAOblxtJJhHWi')")
        .await;
    let (status, body) = send(
        http()
            .post(server.at("/api/auth/sessions"))
            .json(&json!({"email":"old@insforge.dev","password":"correct horse"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = send(
        http()
            .post(server.at("/api/auth/sessions"))
            .json(&json!({"email":"old@insforge.dev","password":"wrong horse"})),
    )
    .await;
    assert_eq!(status, 401);
    server.stop().await;
}

#[tokio::test]
async fn sign_in_is_rate_limited() {
    let server = TestServer::start_with(|c| c.capabilities.accounts.auth_rate_limit = 3).await;
    let url = server.at("/api/auth/sessions");
    let attempt = || {
        send(
            http()
                .post(&url)
                .json(&json!({"email":"who@x.io","password":"nope123"})),
        )
    };
    for _ in 0..3 {
        assert_eq!(attempt().await.0, 401);
    }
    let (status, body) = attempt().await;
    assert_envelope(
        status,
        &body,
        429,
        "TOO_MANY_REQUESTS",
        "Too many requests, please try again later",
    );
    server.stop().await;
}

#[tokio::test]
async fn sign_in_limiting_holds_under_concurrent_attempts() {
    const LIMIT: usize = 10;
    const ATTEMPTS: usize = 60;
    let server = TestServer::start_with(|c| c.capabilities.accounts.auth_rate_limit = LIMIT as u32).await;
    let url = server.at("/api/auth/sessions");
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..ATTEMPTS {
        let request = http()
            .post(&url)
            .json(&json!({"email": "victim@x.io", "password": format!("guess-{i}")}));
        attempts.spawn(async move { send(request).await.0.as_u16() });
    }
    let statuses = attempts.join_all().await;
    let allowed = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((allowed, limited), (LIMIT, ATTEMPTS - LIMIT), "{statuses:?}");
    // The budget is spent for this address: another email from it is limited too.
    let (status, _) = send(
        http()
            .post(&url)
            .json(&json!({"email":"other@x.io","password":"whatever"})),
    )
    .await;
    assert_eq!(status, 429);
    println!("sign-in limiting: {ATTEMPTS} concurrent attempts, {allowed} checked, {limited} answered 429");
    server.stop().await;
}

#[tokio::test]
async fn admin_session_refresh_logout_current() {
    let server = TestServer::start_with(|c| c.root_admin_password = Some("pw-admin-long-enough".into())).await;
    let raw = send_raw(
        http()
            .post(server.at("/api/auth/admin/sessions"))
            .json(&json!({"username":"admin","password":"pw-admin-long-enough"})),
    )
    .await;
    let body = raw.json();
    let cookie = raw.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let csrf = body["csrfToken"].as_str().unwrap().to_owned();
    let token = body["accessToken"].as_str().unwrap().to_owned();
    let (status, got) = send(
        http()
            .get(server.at("/api/auth/admin/sessions/current"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!((status.as_u16(), got), (200, json!({"admin": {"sub": "local:admin"}})));
    let refresh = |csrf: &str| {
        http()
            .post(server.at("/api/auth/admin/refresh"))
            .header("Cookie", &cookie)
            .header("X-CSRF-Token", csrf)
    };
    let (status, _) = send(refresh("bad")).await;
    assert_eq!(status, 403);
    let raw = send_raw(refresh(&csrf)).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    assert_eq!(raw.json()["admin"], json!({"sub": "local:admin"}));
    let (status, _) = send(refresh(&csrf)).await;
    assert_eq!(status, 401, "rotated: the old admin refresh token is spent");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    let jwks: Value = send(http().get(server.at("/.well-known/jwks.json"))).await.1;
    let key = DecodingKey::from_rsa_components(
        jwks["keys"][0]["n"].as_str().unwrap(),
        jwks["keys"][0]["e"].as_str().unwrap(),
    )
    .unwrap();
    let claims = decode::<Value>(raw.json()["accessToken"].as_str().unwrap(), &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["role"], "project_admin");
    let (status, _) = send(http().post(server.at("/api/auth/admin/logout"))).await;
    assert_eq!(status, 200);
    assert_pgrst(&send_raw(Data::new(&server, &token).get("nothing")).await, 404, "42P01");
    server.stop().await;
}

#[tokio::test]
async fn nul_bytes_in_account_fields_are_400_not_500() {
    let server = TestServer::start().await;
    let bodies = [
        (
            "/api/auth/users",
            json!({"email":"nul\u{0}@x.io","password":"secret123","name":"n"}),
        ),
        (
            "/api/auth/users",
            json!({"email":"nul@x.io","password":"secret123","name":"a\u{0}b"}),
        ),
        (
            "/api/auth/sessions",
            json!({"email":"nul\u{0}@x.io","password":"secret123"}),
        ),
    ];
    for (path, body) in bodies {
        let (status, reply) = send(http().post(server.at(path)).json(&body)).await;
        assert!(status.is_client_error(), "{path} {body}: {status} {reply}");
    }
    server.stop().await;
}
