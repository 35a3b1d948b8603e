//! The WhatsApp Cloud API client: Meta's Graph API, or anything that speaks it (the sandbox, a
//! proxy) at the channel's base URL. One pooled HTTP client for the whole process; every call
//! carries its channel's token, and neither the token nor any header is ever logged.

use crate::domain::cloud::{
    CreatedTemplate, GraphError, GraphErrorEnvelope, MarkRead, MediaInfo, MediaKind, MessageRejected, NewTemplate,
    OutboundMessage, PhoneNumberInfo, SendAccepted, Success, TemplateDefinition, TemplateName, TemplatePage,
    UploadedMedia,
};
use bytes::Bytes;
use reqwest::{Method, RequestBuilder, Url, multipart};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::{Duration, Instant};

/// Where a channel's Graph API lives and the token it acts with.
#[derive(Clone, PartialEq, Eq)]
pub struct GraphAccount {
    /// E.g. `https://graph.facebook.com/v21.0` or the sandbox's `http://127.0.0.1:3010/v21.0`.
    pub base_url: String,
    pub access_token: String,
}

impl fmt::Debug for GraphAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphAccount").field("base_url", &self.base_url).field("access_token", &"<redacted>").finish()
    }
}

/// Why a Cloud API call did not succeed. Its text is meant for an admin: Meta's own message and
/// details for Graph errors, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudError {
    /// Meta answered with an error; `GraphError::class` says whether to retry, reconnect or give up.
    Graph(GraphError),
    /// Refused before sending: Meta would have refused it too.
    Rejected(MessageRejected),
    /// No answer in time. For a send, the message may or may not have been accepted.
    Timeout,
    Unreachable(String),
    UnexpectedResponse {
        status: u16,
        snippet: String,
    },
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Graph(error) => write!(f, "WhatsApp Cloud API: {error}"),
            Self::Rejected(rejected) => write!(f, "{rejected}"),
            Self::Timeout => f.write_str("The WhatsApp Cloud API did not answer in time"),
            Self::Unreachable(reason) => write!(f, "Could not reach the WhatsApp Cloud API: {reason}"),
            Self::UnexpectedResponse { status, snippet } => {
                write!(f, "The WhatsApp Cloud API answered unexpectedly (HTTP {status}): {snippet}")
            }
        }
    }
}

impl std::error::Error for CloudError {}

impl From<MessageRejected> for CloudError {
    fn from(rejected: MessageRejected) -> Self {
        Self::Rejected(rejected)
    }
}

impl From<reqwest::Error> for CloudError {
    fn from(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            return Self::Timeout;
        }
        // reqwest's own text is "error sending request"; the cause (refused, DNS, TLS) is in the chain.
        let error = error.without_url();
        let mut reason = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            reason = format!("{reason}: {cause}");
            source = cause.source();
        }
        Self::Unreachable(reason)
    }
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Uploads and downloads move up to 100 MB (a document).
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(180);
/// The largest file Meta handles (a document).
const MAX_DOWNLOAD_BYTES: u64 = 100 * 1024 * 1024;
/// 100 templates a page; a WABA holds at most a few thousand.
const TEMPLATE_PAGE_SIZE: &str = "100";
const MAX_TEMPLATE_PAGES: usize = 100;
const SNIPPET_CHARS: usize = 300;

#[derive(Debug, Clone)]
pub struct CloudClient {
    http: reqwest::Client,
    request_timeout: Duration,
    transfer_timeout: Duration,
    max_download_bytes: u64,
}

impl Default for CloudClient {
    fn default() -> Self {
        Self::new()
    }
}

impl CloudClient {
    pub fn new() -> Self {
        Self::with_timeouts(CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    pub fn with_timeouts(connect: Duration, request: Duration) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .user_agent(concat!("Parley/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|error| {
                // Only a broken TLS library gets here; per-request timeouts still apply.
                tracing::error!(%error, "HTTP client with connect timeout unavailable, using defaults");
                reqwest::Client::default()
            });
        Self {
            http,
            request_timeout: request,
            transfer_timeout: TRANSFER_TIMEOUT.max(request),
            max_download_bytes: MAX_DOWNLOAD_BYTES,
        }
    }

    /// Caps media downloads below Meta's own 100 MB limit.
    pub fn with_max_download_bytes(mut self, max: u64) -> Self {
        self.max_download_bytes = max;
        self
    }

    pub async fn send(
        &self,
        account: &GraphAccount,
        phone_number_id: &str,
        message: &OutboundMessage,
    ) -> Result<SendAccepted, CloudError> {
        if message.stored_file().is_some() {
            return Err(MessageRejected::Invalid("The attached file was not uploaded to WhatsApp first".into()).into());
        }
        let url = graph_url(account, &[phone_number_id, "messages"])?;
        self.call(account, self.http.post(url).json(message)).await
    }

    pub async fn mark_read(
        &self,
        account: &GraphAccount,
        phone_number_id: &str,
        wamid: &str,
    ) -> Result<(), CloudError> {
        let url = graph_url(account, &[phone_number_id, "messages"])?;
        self.confirm(account, self.http.post(url).json(&MarkRead::new(wamid)?)).await
    }

    pub async fn phone_number(
        &self,
        account: &GraphAccount,
        phone_number_id: &str,
    ) -> Result<PhoneNumberInfo, CloudError> {
        let url = graph_url(account, &[phone_number_id])?;
        let request = self.http.get(url).query(&[("fields", "id,verified_name,display_phone_number,quality_rating")]);
        self.call(account, request).await
    }

    /// Subscribes the app to the WABA's webhooks, optionally to a callback URL of its own
    /// (with the verify token Meta will present to it).
    pub async fn subscribe_app(
        &self,
        account: &GraphAccount,
        waba_id: &str,
        callback: Option<(&str, &str)>,
    ) -> Result<(), CloudError> {
        #[derive(Serialize)]
        struct Override<'a> {
            override_callback_uri: &'a str,
            verify_token: &'a str,
        }
        let url = graph_url(account, &[waba_id, "subscribed_apps"])?;
        let request = match callback {
            Some((override_callback_uri, verify_token)) => {
                self.http.post(url).json(&Override { override_callback_uri, verify_token })
            }
            None => self.http.post(url),
        };
        self.confirm(account, request).await
    }

    pub async fn unsubscribe_app(&self, account: &GraphAccount, waba_id: &str) -> Result<(), CloudError> {
        let url = graph_url(account, &[waba_id, "subscribed_apps"])?;
        self.confirm(account, self.http.delete(url)).await
    }

    /// Uploads a file for sending; answers its media id. Formats and sizes Meta refuses are
    /// refused here without uploading.
    pub async fn upload_media(
        &self,
        account: &GraphAccount,
        phone_number_id: &str,
        mime_type: &str,
        filename: &str,
        bytes: Bytes,
    ) -> Result<String, CloudError> {
        let length = bytes.len() as u64;
        MediaKind::for_upload(mime_type, length)?;
        let url = graph_url(account, &[phone_number_id, "media"])?;
        let file = multipart::Part::stream_with_length(bytes, length)
            .file_name(filename.to_owned())
            .mime_str(mime_type)
            .map_err(|_| MessageRejected::Invalid(format!("\"{mime_type}\" is not a MIME type")))?;
        let form = multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime_type.to_owned())
            .part("file", file);
        let request = self.http.post(url).multipart(form).timeout(self.transfer_timeout);
        let uploaded: UploadedMedia = self.call(account, request).await?;
        Ok(uploaded.id)
    }

    pub async fn media_info(&self, account: &GraphAccount, media_id: &str) -> Result<MediaInfo, CloudError> {
        let url = graph_url(account, &[media_id])?;
        self.call(account, self.http.get(url)).await
    }

    /// Fetches a file from the short-lived URL `media_info` gave, which needs the token too.
    pub async fn download_media(&self, account: &GraphAccount, info: &MediaInfo) -> Result<Bytes, CloudError> {
        let too_large = || CloudError::UnexpectedResponse {
            status: 200,
            snippet: format!("media {} is larger than the {} bytes Parley accepts", info.id, self.max_download_bytes),
        };
        if info.file_size > self.max_download_bytes {
            return Err(too_large());
        }
        let url = Url::parse(&info.url).map_err(|_| CloudError::UnexpectedResponse {
            status: 200,
            snippet: "the media URL is not a URL".into(),
        })?;
        let mut request = self.http.get(url).bearer_auth(&account.access_token).build()?;
        *request.timeout_mut() = Some(self.transfer_timeout);
        let (path, started) = (request.url().path().to_owned(), Instant::now());
        let outcome = async {
            let mut response = self.http.execute(request).await?;
            let status = response.status().as_u16();
            let file = if response.status().is_success() {
                read_at_most(&mut response, self.max_download_bytes).await?.ok_or_else(too_large)
            } else {
                Err(error_from(status, &response.bytes().await?))
            };
            Ok::<_, reqwest::Error>((status, file))
        }
        .await;
        log_call(&Method::GET, &path, started, outcome.as_ref().map(|(status, _)| *status));
        outcome?.1
    }

    pub async fn delete_media(&self, account: &GraphAccount, media_id: &str) -> Result<(), CloudError> {
        let url = graph_url(account, &[media_id])?;
        self.confirm(account, self.http.delete(url)).await
    }

    /// Every template of the WABA, following Meta's pages (bounded, and only on the same host:
    /// the token must not follow a link elsewhere).
    pub async fn list_templates(
        &self,
        account: &GraphAccount,
        waba_id: &str,
    ) -> Result<Vec<TemplateDefinition>, CloudError> {
        let first = graph_url(account, &[waba_id, "message_templates"])?;
        let mut request = self.http.get(first.clone()).query(&[("limit", TEMPLATE_PAGE_SIZE)]);
        let mut templates = Vec::new();
        for _ in 0..MAX_TEMPLATE_PAGES {
            let page: TemplatePage = self.call(account, request).await?;
            templates.extend(page.data);
            let Some(next) = page.paging.and_then(|p| p.next).filter(|n| !n.is_empty()) else {
                return Ok(templates);
            };
            let next = Url::parse(&next).ok().filter(|n| n.origin() == first.origin()).ok_or_else(|| {
                CloudError::UnexpectedResponse {
                    status: 200,
                    snippet: "the next page of templates is on another host".into(),
                }
            })?;
            request = self.http.get(next);
        }
        tracing::warn!(waba_id, pages = MAX_TEMPLATE_PAGES, "template list truncated");
        Ok(templates)
    }

    pub async fn create_template(
        &self,
        account: &GraphAccount,
        waba_id: &str,
        template: &NewTemplate,
    ) -> Result<CreatedTemplate, CloudError> {
        let url = graph_url(account, &[waba_id, "message_templates"])?;
        self.call(account, self.http.post(url).json(template)).await
    }

    /// Deletes a template in all its languages, or only the one with `hsm_id`.
    pub async fn delete_template(
        &self,
        account: &GraphAccount,
        waba_id: &str,
        name: &str,
        hsm_id: Option<&str>,
    ) -> Result<(), CloudError> {
        let name = TemplateName::parse(name)?;
        let url = graph_url(account, &[waba_id, "message_templates"])?;
        let mut query = vec![("name", name.as_str())];
        if let Some(hsm_id) = hsm_id {
            query.push(("hsm_id", checked_id(hsm_id)?));
        }
        self.confirm(account, self.http.delete(url).query(&query)).await
    }

    /// A call whose answer is only `{"success": true}`.
    async fn confirm(&self, account: &GraphAccount, request: RequestBuilder) -> Result<(), CloudError> {
        let success: Success = self.call(account, request).await?;
        if success.success {
            Ok(())
        } else {
            Err(CloudError::UnexpectedResponse { status: 200, snippet: "{\"success\":false}".into() })
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        account: &GraphAccount,
        request: RequestBuilder,
    ) -> Result<T, CloudError> {
        let (status, body) = self.execute(account, request).await?;
        if !(200..300).contains(&status) {
            return Err(error_from(status, &body));
        }
        serde_json::from_slice(&body).map_err(|_| error_from(status, &body))
    }

    /// Sends with the bearer token and a timeout (unless the request has its own), and logs
    /// method, path, status and duration: never headers, query strings or bodies.
    async fn execute(&self, account: &GraphAccount, request: RequestBuilder) -> Result<(u16, Bytes), CloudError> {
        let mut request = request.bearer_auth(&account.access_token).build()?;
        if request.timeout().is_none() {
            *request.timeout_mut() = Some(self.request_timeout);
        }
        let (method, path, started) = (request.method().clone(), request.url().path().to_owned(), Instant::now());
        let outcome = async {
            let response = self.http.execute(request).await?;
            let status = response.status().as_u16();
            Ok::<_, reqwest::Error>((status, response.bytes().await?))
        }
        .await;
        log_call(&method, &path, started, outcome.as_ref().map(|(status, _)| *status));
        Ok(outcome?)
    }
}

/// The response body, or `None` as soon as it turns out larger than `max` bytes.
async fn read_at_most(response: &mut reqwest::Response, max: u64) -> Result<Option<Bytes>, reqwest::Error> {
    if response.content_length().is_some_and(|length| length > max) {
        return Ok(None);
    }
    let mut file = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if (file.len() + chunk.len()) as u64 > max {
            return Ok(None);
        }
        file.extend_from_slice(&chunk);
    }
    Ok(Some(Bytes::from(file)))
}

fn log_call(method: &Method, path: &str, started: Instant, outcome: Result<u16, &reqwest::Error>) {
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match outcome {
        Ok(status) if (200..300).contains(&status) => {
            tracing::debug!(%method, path, status, elapsed_ms, "Graph API call")
        }
        Ok(status) => tracing::warn!(%method, path, status, elapsed_ms, "Graph API call failed"),
        Err(error) => {
            let timeout = error.is_timeout();
            tracing::warn!(%method, path, timeout, elapsed_ms, "Graph API call got no answer")
        }
    }
}

/// Meta's error envelope when there is one (whatever the HTTP status), else the start of the body.
fn error_from(status: u16, body: &[u8]) -> CloudError {
    if let Ok(envelope) = serde_json::from_slice::<GraphErrorEnvelope>(body) {
        return CloudError::Graph(envelope.error);
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let mut snippet: String = text.chars().take(SNIPPET_CHARS).collect();
    if text.chars().count() > SNIPPET_CHARS {
        snippet.push('…');
    }
    CloudError::UnexpectedResponse { status, snippet }
}

/// A Graph object id as a path segment: refuses anything that would change the path itself.
fn checked_id(id: &str) -> Result<&str, CloudError> {
    let valid = !id.is_empty()
        && id.len() <= 128
        && id != "."
        && id != ".."
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid { Ok(id) } else { Err(MessageRejected::Invalid(format!("\"{id}\" is not a Graph API id")).into()) }
}

fn graph_url(account: &GraphAccount, segments: &[&str]) -> Result<Url, CloudError> {
    let invalid = || CloudError::Unreachable(format!("\"{}\" is not a valid Graph API address", account.base_url));
    let mut url = Url::parse(account.base_url.trim()).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid());
    }
    {
        let mut path = url.path_segments_mut().map_err(|_| invalid())?;
        path.pop_if_empty();
        for segment in segments {
            path.push(checked_id(segment)?);
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests;
