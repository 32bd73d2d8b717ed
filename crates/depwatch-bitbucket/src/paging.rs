//! Bitbucket paging: follow `nextPageStart` until `isLastPage`, read back the server-capped
//! `limit`, never compute `start + size`, and stop at a page-count guard.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::client::{Call, Client};
use crate::error::{Error, Result};

/// One page as the server sent it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The items.
    #[serde(default = "Vec::new")]
    pub values: Vec<T>,
    /// Number of items on this page.
    #[serde(default)]
    pub size: Option<u64>,
    /// The limit the server applied (it silently lowers what we ask for).
    #[serde(default)]
    pub limit: Option<u64>,
    /// Start of this page.
    #[serde(default)]
    pub start: Option<u64>,
    /// True on the last page.
    pub is_last_page: bool,
    /// Where the next page starts; absent on the last page. Not necessarily `start + size`.
    #[serde(default)]
    pub next_page_start: Option<u64>,
}

/// A paged listing in progress. Get pages with [`Paged::next_page`] or everything with
/// [`Paged::collect_all`].
#[derive(Debug)]
pub struct Paged<T> {
    client: Client,
    call: Call,
    next_start: Option<u64>,
    pages: u32,
    max_pages: u32,
    effective_limit: Option<u64>,
    done: bool,
    marker: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Paged<T> {
    pub(crate) fn new(client: &Client, call: Call, page_size: Option<u32>) -> Self {
        let guard = client.config().page_guard;
        let size = page_size.unwrap_or(guard.page_size).max(1);
        let call = call.query("limit", size);
        Paged {
            client: client.clone(),
            call,
            next_start: Some(0),
            pages: 0,
            max_pages: guard.max_pages.max(1),
            effective_limit: None,
            done: false,
            marker: PhantomData,
        }
    }

    /// The `limit` the server actually applied on the last page (after capping).
    pub fn effective_limit(&self) -> Option<u64> {
        self.effective_limit
    }

    /// Pages fetched so far.
    pub fn pages_fetched(&self) -> u32 {
        self.pages
    }

    /// The next page, or `None` after the last one.
    pub async fn next_page(&mut self) -> Result<Option<Page<T>>> {
        if self.done {
            return Ok(None);
        }
        let Some(start) = self.next_start else {
            self.done = true;
            return Ok(None);
        };
        if self.pages >= self.max_pages {
            self.done = true;
            return Err(Error::PageLimit {
                url: crate::client::display_url(&self.call.url),
                max_pages: self.max_pages,
            });
        }
        let mut call = self.call.clone();
        call.query.push(("start".to_owned(), start.to_string()));
        let reply = self.client.send(&call).await?;
        let page: Page<T> = reply.json()?;
        self.pages += 1;
        if page.limit.is_some() {
            self.effective_limit = page.limit;
        }
        if page.is_last_page {
            self.next_start = None;
            self.done = true;
        } else {
            match page.next_page_start {
                // A server that does not move forward would loop forever.
                Some(next) if next > start => self.next_start = Some(next),
                Some(next) => {
                    self.done = true;
                    return Err(Error::Decode {
                        url: reply.url,
                        detail: format!("nextPageStart {next} does not advance past start {start}"),
                    });
                }
                None => {
                    self.done = true;
                    return Err(Error::Decode {
                        url: reply.url,
                        detail: "isLastPage is false but nextPageStart is missing".to_owned(),
                    });
                }
            }
        }
        Ok(Some(page))
    }

    /// Fetches every page and returns all items.
    pub async fn collect_all(mut self) -> Result<Vec<T>> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await? {
            all.extend(page.values);
        }
        Ok(all)
    }
}

impl Client {
    /// A paged GET of any list endpoint under `{base}/rest/api/1.0/` (segments encoded one by
    /// one), with extra query pairs. `page_size` defaults to the configured page guard's.
    pub fn paged<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        page_size: Option<u32>,
    ) -> Result<Paged<T>> {
        for seg in segments {
            crate::client::segment("path segment", seg)?;
        }
        let mut call = Call::get(self.rest(segments));
        for (k, v) in query {
            call = call.query(k, v);
        }
        Ok(Paged::new(self, call, page_size))
    }
}
