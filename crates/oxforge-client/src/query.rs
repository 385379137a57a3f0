//! A typed query builder over the PostgREST dialect, as `@supabase/postgrest-js` builds it.

use std::fmt::Display;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Client, Error};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Exact,
    Planned,
    Estimated,
}

/// Rows and, when requested with [`QueryBuilder::count`], the total count.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub count: Option<i64>,
}

enum Target {
    Table(String),
    Rpc(String),
}

/// A request being built; nothing is sent until `execute`, `single`, `run`… is awaited.
pub struct QueryBuilder {
    client: Client,
    target: Target,
    method: Method,
    params: Vec<(String, String)>,
    prefer: Vec<String>,
    body: Option<Value>,
}

/// `in.(…)` and `cs.{…}` items are quoted when they hold a delimiter.
fn list_item(value: &str) -> String {
    if value.contains([',', '(', ')', '{', '}', '"', '\\', ' ']) {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_owned()
    }
}

fn to_value(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl QueryBuilder {
    pub(crate) fn table(client: Client, table: &str) -> Self {
        QueryBuilder {
            client,
            target: Target::Table(table.to_owned()),
            method: Method::GET,
            params: Vec::new(),
            prefer: Vec::new(),
            body: None,
        }
    }

    pub(crate) fn rpc(client: Client, function: &str, args: Value) -> Self {
        QueryBuilder {
            client,
            target: Target::Rpc(function.to_owned()),
            method: Method::POST,
            params: Vec::new(),
            prefer: Vec::new(),
            body: Some(args),
        }
    }

    fn param(mut self, key: &str, value: String) -> Self {
        self.params.push((key.to_owned(), value));
        self
    }

    /// Columns to return (`*`, `a,b`, `alias:col`, embeds like `author:users(name)`). After an
    /// insert/update/delete it asks for the affected rows back.
    pub fn select(mut self, columns: &str) -> Self {
        if self.method != Method::GET && matches!(self.target, Target::Table(_)) {
            self.prefer.push("return=representation".into());
        }
        let compact: String = columns.split_whitespace().collect();
        self.param("select", compact)
    }

    /// Inserts one row (a struct or map) or many (a `Vec`/slice).
    pub fn insert(mut self, rows: &impl Serialize) -> Self {
        self.method = Method::POST;
        self.body = Some(to_value(rows));
        self
    }

    /// Inserts, or updates rows that conflict on the primary key (or `on_conflict` columns).
    pub fn upsert(mut self, rows: &impl Serialize) -> Self {
        self.prefer.push("resolution=merge-duplicates".into());
        self = self.insert(rows);
        self
    }

    /// With `upsert`: skip conflicting rows instead of updating them.
    pub fn ignore_duplicates(mut self) -> Self {
        self.prefer.retain(|p| p != "resolution=merge-duplicates");
        self.prefer.push("resolution=ignore-duplicates".into());
        self
    }

    pub fn on_conflict(self, columns: &str) -> Self {
        self.param("on_conflict", columns.to_owned())
    }

    /// Updates the rows the filters select with `changes`.
    pub fn update(mut self, changes: &impl Serialize) -> Self {
        self.method = Method::PATCH;
        self.body = Some(to_value(changes));
        self
    }

    /// Deletes the rows the filters select.
    pub fn delete(mut self) -> Self {
        self.method = Method::DELETE;
        self
    }

    /// Any operator: `filter("age", "gte", 18)` → `age=gte.18`.
    pub fn filter(self, column: &str, operator: &str, value: impl Display) -> Self {
        self.param(column, format!("{operator}.{value}"))
    }

    /// `not.<operator>`: `not("status", "eq", "done")`.
    pub fn not(self, column: &str, operator: &str, value: impl Display) -> Self {
        self.param(column, format!("not.{operator}.{value}"))
    }

    pub fn eq(self, column: &str, value: impl Display) -> Self {
        self.filter(column, "eq", value)
    }

    pub fn neq(self, column: &str, value: impl Display) -> Self {
        self.filter(column, "neq", value)
    }

    pub fn gt(self, column: &str, value: impl Display) -> Self {
        self.filter(column, "gt", value)
    }

    pub fn gte(self, column: &str, value: impl Display) -> Self {
        self.filter(column, "gte", value)
    }

    pub fn lt(self, column: &str, value: impl Display) -> Self {
        self.filter(column, "lt", value)
    }

    pub fn lte(self, column: &str, value: impl Display) -> Self {
        self.filter(column, "lte", value)
    }

    /// SQL `LIKE` with `%` wildcards.
    pub fn like(self, column: &str, pattern: &str) -> Self {
        self.filter(column, "like", pattern)
    }

    pub fn ilike(self, column: &str, pattern: &str) -> Self {
        self.filter(column, "ilike", pattern)
    }

    pub fn is_null(self, column: &str) -> Self {
        self.filter(column, "is", "null")
    }

    pub fn not_null(self, column: &str) -> Self {
        self.not(column, "is", "null")
    }

    pub fn in_list<I, V>(self, column: &str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Display,
    {
        let items: Vec<String> = values.into_iter().map(|v| list_item(&v.to_string())).collect();
        self.param(column, format!("in.({})", items.join(",")))
    }

    /// Array containment (`cs`): the column holds every value.
    pub fn contains<I, V>(self, column: &str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Display,
    {
        let items: Vec<String> = values.into_iter().map(|v| list_item(&v.to_string())).collect();
        self.param(column, format!("cs.{{{}}}", items.join(",")))
    }

    /// Full-text search (`websearch_to_tsquery` syntax).
    pub fn text_search(self, column: &str, query: &str) -> Self {
        self.filter(column, "wfts", query)
    }

    /// `or=(…)` in PostgREST syntax: `or("status.eq.open,priority.gt.3")`.
    pub fn or(self, filters: &str) -> Self {
        self.param("or", format!("({filters})"))
    }

    /// Appends an ordering (call again for secondary orderings).
    pub fn order(mut self, column: &str, order: Order) -> Self {
        let term = format!("{column}.{}", if order == Order::Ascending { "asc" } else { "desc" });
        match self.params.iter_mut().find(|(k, _)| k == "order") {
            Some((_, existing)) => {
                existing.push(',');
                existing.push_str(&term);
            }
            None => self.params.push(("order".into(), term)),
        }
        self
    }

    pub fn limit(self, count: u64) -> Self {
        self.param("limit", count.to_string())
    }

    /// Rows `from..=to` (zero-based, inclusive), like postgrest-js `range`.
    pub fn range(self, from: u64, to: u64) -> Self {
        self.param("offset", from.to_string())
            .param("limit", (to.saturating_sub(from) + 1).to_string())
    }

    /// Also return the total number of matching rows ([`Page::count`]).
    pub fn count(mut self, count: Count) -> Self {
        self.prefer.push(
            match count {
                Count::Exact => "count=exact",
                Count::Planned => "count=planned",
                Count::Estimated => "count=estimated",
            }
            .into(),
        );
        self
    }

    fn build(&self, accept_object: bool) -> reqwest::RequestBuilder {
        let path = match &self.target {
            Target::Table(t) => format!("/api/database/records/{t}"),
            Target::Rpc(f) => format!("/api/database/rpc/{f}"),
        };
        let mut request = self.client.request(self.method.clone(), &path).query(&self.params);
        if !self.prefer.is_empty() {
            request = request.header("Prefer", self.prefer.join(","));
        }
        if accept_object {
            request = request.header("Accept", "application/vnd.pgrst.object+json");
        }
        if let Some(body) = &self.body {
            request = request.json(body);
        }
        request
    }

    /// The response as raw JSON (`null` for an empty body).
    pub async fn value(self) -> Result<Value, Error> {
        let (_, _, body) = Client::send(self.build(false)).await?;
        if body.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&body).map_err(|e| Error::Decode(e.to_string()))
    }

    /// The rows, deserialised.
    pub async fn execute<T: DeserializeOwned>(self) -> Result<Vec<T>, Error> {
        Ok(self.execute_with_count().await?.rows)
    }

    /// The rows and the count from `Content-Range` (when [`count`](Self::count) was asked).
    pub async fn execute_with_count<T: DeserializeOwned>(self) -> Result<Page<T>, Error> {
        let (_, headers, body) = Client::send(self.build(false)).await?;
        let count = headers
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit('/').next())
            .and_then(|total| total.parse().ok());
        let rows = if body.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&body).map_err(|e| Error::Decode(e.to_string()))?
        };
        Ok(Page { rows, count })
    }

    /// Exactly one row (PostgREST's `PGRST116` error otherwise).
    pub async fn single<T: DeserializeOwned>(self) -> Result<T, Error> {
        let (_, _, body) = Client::send(self.build(true)).await?;
        serde_json::from_str(&body).map_err(|e| Error::Decode(e.to_string()))
    }

    /// Zero or one row.
    pub async fn maybe_single<T: DeserializeOwned>(self) -> Result<Option<T>, Error> {
        let mut rows: Vec<T> = self.execute().await?;
        match rows.len() {
            0 => Ok(None),
            1 => Ok(rows.pop()),
            n => Err(Error::Api {
                status: 406,
                code: "PGRST116".into(),
                message: "JSON object requested, multiple (or no) rows returned".into(),
                details: Some(format!("The result contains {n} rows")),
                hint: None,
            }),
        }
    }

    /// Sends a mutation without asking for rows back.
    pub async fn run(self) -> Result<(), Error> {
        Client::send(self.build(false)).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_items_are_quoted_when_needed() {
        assert_eq!(list_item("plain"), "plain");
        assert_eq!(list_item("a,b"), "\"a,b\"");
        assert_eq!(list_item("say \"hi\""), "\"say \\\"hi\\\"\"");
    }

    #[test]
    fn builds_postgrest_requests() {
        let client = Client::new("http://127.0.0.1:1/", "anon_x").unwrap();
        let q = client
            .from("todos")
            .select("id, title")
            .eq("done", false)
            .in_list("id", [1, 2])
            .order("created_at", Order::Descending)
            .order("id", Order::Ascending)
            .range(10, 19)
            .count(Count::Exact);
        let request = q.build(false).build().unwrap();
        assert_eq!(request.url().path(), "/api/database/records/todos");
        assert_eq!(
            request.url().query(),
            Some("select=id%2Ctitle&done=eq.false&id=in.%281%2C2%29&order=created_at.desc%2Cid.asc&offset=10&limit=10")
        );
        assert_eq!(request.headers()["prefer"], "count=exact");
        assert_eq!(request.headers()["authorization"], "Bearer anon_x");
        let insert = client
            .from("todos")
            .insert(&serde_json::json!({"t": 1}))
            .select("*")
            .build(true)
            .build()
            .unwrap();
        assert_eq!(insert.method(), Method::POST);
        assert_eq!(insert.headers()["prefer"], "return=representation");
        assert_eq!(insert.headers()["accept"], "application/vnd.pgrst.object+json");
    }
}
