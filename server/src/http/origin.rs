//! Cross-site request refusal: every state-changing request must come from Parley's own pages,
//! as the browser's Sec-Fetch-Site or Origin header shows. Webhooks are exempt: they come from
//! Meta's servers and are authenticated by their HMAC signature instead.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode, header};

#[derive(Clone)]
pub struct AllowedOrigin(pub String);

pub async fn refuse_cross_site(State(allowed): State<AllowedOrigin>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || request.uri().path().starts_with("/webhooks/") || same_site(request.headers(), &allowed.0) {
        next.run(request).await
    } else {
        (StatusCode::FORBIDDEN, "Cross-site request refused: it must come from Parley's own pages.").into_response()
    }
}

fn same_site(headers: &HeaderMap, allowed_origin: &str) -> bool {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header(header::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin";
    }
    match header(header::ORIGIN) {
        Some(origin) => {
            origin == allowed_origin
                || header(header::HOST).is_some_and(|host| {
                    origin == format!("http://{host}") || origin == format!("https://{host}")
                })
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn same_origin_fetch_metadata_passes() {
        assert!(same_site(&headers(&[("sec-fetch-site", "same-origin")]), "http://a"));
        assert!(!same_site(&headers(&[("sec-fetch-site", "cross-site"), ("origin", "http://a")]), "http://a"));
        assert!(!same_site(&headers(&[("sec-fetch-site", "same-site")]), "http://a"));
    }

    #[test]
    fn origin_must_match_the_public_url_or_host() {
        assert!(same_site(&headers(&[("origin", "http://127.0.0.1:3000")]), "http://127.0.0.1:3000"));
        assert!(same_site(&headers(&[("origin", "http://localhost:4000"), ("host", "localhost:4000")]), "http://x"));
        assert!(!same_site(&headers(&[("origin", "https://evil.example")]), "http://127.0.0.1:3000"));
        assert!(!same_site(&headers(&[]), "http://127.0.0.1:3000"), "no header at all is refused");
    }
}
