//! Read plans: projections, filters, order, paging, and embedded resources through foreign keys.

use std::collections::BTreeMap;

use oxforge_api_request::query::{EmbedPath, Page};
use oxforge_api_request::{Cast, Condition, Embed, Field, LogicTree, OrderTerm, QueryParams, SelectItem};
use oxforge_schema::{ForeignKey, SchemaCache, Table};

use crate::{PlanError, QualifiedName};

#[derive(Debug, Clone)]
pub enum ProjItem {
    Star,
    Column {
        field: Field,
        alias: Option<String>,
        cast: Option<Cast>,
    },
    Embed(Box<EmbedPlan>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinKind {
    /// The parent row points at one child row (many-to-one; a JSON object or null).
    ToOne,
    /// Child rows point at the parent (one-to-many; a JSON array).
    ToMany,
    /// Through a junction table (many-to-many; a JSON array).
    ManyToMany {
        junction: QualifiedName,
        /// junction column = parent column
        parent_pairs: Vec<(String, String)>,
        /// junction column = child column
        child_pairs: Vec<(String, String)>,
    },
}

#[derive(Debug, Clone)]
pub struct EmbedPlan {
    /// The key in the parent's JSON object.
    pub output: String,
    pub kind: JoinKind,
    /// For ToOne/ToMany: (parent column, child column) equalities.
    pub pairs: Vec<(String, String)>,
    pub inner: bool,
    pub spread: bool,
    pub read: ReadPlan,
}

#[derive(Debug, Clone)]
pub struct ReadPlan {
    pub from: QualifiedName,
    /// The SQL alias of this level (the table's name for the root, `pgrst_N` for embeds).
    pub alias: String,
    pub select: Vec<ProjItem>,
    pub conditions: Vec<Condition>,
    pub logic: Vec<LogicTree>,
    pub order: Vec<OrderTerm>,
    pub page: Page,
}

impl ReadPlan {
    pub fn embeds(&self) -> impl Iterator<Item = &EmbedPlan> {
        self.select.iter().filter_map(|p| match p {
            ProjItem::Embed(e) => Some(e.as_ref()),
            _ => None,
        })
    }
}

/// Per-level pieces of the query string, keyed by embed path.
struct Levels {
    conditions: BTreeMap<EmbedPath, Vec<Condition>>,
    logic: BTreeMap<EmbedPath, Vec<LogicTree>>,
    order: BTreeMap<EmbedPath, Vec<OrderTerm>>,
    pages: BTreeMap<EmbedPath, Page>,
}

impl Levels {
    fn from(params: &QueryParams) -> Self {
        let mut conditions: BTreeMap<EmbedPath, Vec<Condition>> = BTreeMap::new();
        for (path, c) in &params.conditions {
            conditions.entry(path.clone()).or_default().push(c.clone());
        }
        let mut logic: BTreeMap<EmbedPath, Vec<LogicTree>> = BTreeMap::new();
        for (path, l) in &params.logic {
            logic.entry(path.clone()).or_default().push(l.clone());
        }
        Levels {
            conditions,
            logic,
            order: params.order.clone(),
            pages: params.pages.clone(),
        }
    }
}

struct Planner<'a> {
    cache: &'a SchemaCache,
    levels: Levels,
    next_alias: usize,
}

/// The table, or PGRST106 for an unknown schema and 42P01 for an unknown table.
pub(crate) fn find_table<'a>(cache: &'a SchemaCache, schema: &str, table: &str) -> Result<&'a Table, PlanError> {
    if !cache.has_schema(schema) {
        return Err(PlanError::schema_not_found(schema));
    }
    cache.table(schema, table).ok_or_else(|| {
        let error = PlanError::table_not_found(schema, table);
        if let Some((other_schema, bare)) = table.split_once('.') {
            return error.with_hint(format!(
                "The path takes the bare table name: /records/{bare} with the header Accept-Profile: {other_schema} \
                 (Content-Profile for writes) or ?schema={other_schema}"
            ));
        }
        match crate::suggest::closest(table, cache.table_names(schema)) {
            Some(name) => error.with_hint(format!("did you mean `{name}`?")),
            None => error,
        }
    })
}

/// Plans a read of `schema.table` (also used for the representation returned by mutations).
/// A cast to a type that is not built in must name a type some column of the schema cache has
/// (an enum or domain of the exposed schemas); anything else is a bad request.
pub(crate) fn checked_cast(cache: &SchemaCache, cast: &Option<Cast>) -> Result<Option<Cast>, PlanError> {
    if let Some(name) = cast.as_ref().and_then(Cast::custom_name)
        && !cache.has_column_type(&name)
    {
        return Err(PlanError::new(
            400,
            "PGRST100",
            format!("invalid cast: type \"{name}\" is neither built in nor used by an exposed table"),
        ));
    }
    Ok(cast.clone())
}

pub fn plan_read(cache: &SchemaCache, schema: &str, table: &str, params: &QueryParams) -> Result<ReadPlan, PlanError> {
    let root = find_table(cache, schema, table)?;
    let mut planner = Planner {
        cache,
        levels: Levels::from(params),
        next_alias: 0,
    };
    let select = params.select.clone().unwrap_or_else(|| vec![SelectItem::Star]);
    let plan = planner.level(root, &select, &[])?;
    // Filters on embeds that are not selected are an error in PostgREST.
    for path in planner
        .levels
        .conditions
        .keys()
        .chain(planner.levels.order.keys())
        .chain(planner.levels.pages.keys())
    {
        if !path.is_empty() && !embed_exists(&plan, path) {
            return Err(PlanError::new(
                400,
                "PGRST108",
                format!("'{}' is not an embedded resource in this request", path.join(".")),
            )
            .with_hint(format!(
                "Verify that '{}' is included in the 'select' query parameter.",
                path.join(".")
            )));
        }
    }
    Ok(plan)
}

fn embed_exists(plan: &ReadPlan, path: &[String]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    plan.embeds().any(|e| &e.output == first && embed_exists(&e.read, rest))
}

impl<'a> Planner<'a> {
    /// The root is aliased by its own name (so errors read `column todos.x does not exist`, as
    /// in PostgREST); embedded levels get `pgrst_1`, `pgrst_2`…
    fn alias(&mut self, table: &Table) -> String {
        let a = if self.next_alias == 0 {
            table.name.clone()
        } else {
            format!("pgrst_{}", self.next_alias)
        };
        self.next_alias += 1;
        a
    }

    fn level(&mut self, table: &Table, items: &[SelectItem], path: &[String]) -> Result<ReadPlan, PlanError> {
        let alias = self.alias(table);
        let key = path.to_vec();
        let mut select = Vec::with_capacity(items.len());
        for item in items {
            select.push(match item {
                SelectItem::Star => ProjItem::Star,
                SelectItem::Field { field, alias, cast } => ProjItem::Column {
                    field: field.clone(),
                    alias: alias.clone(),
                    cast: checked_cast(self.cache, cast)?,
                },
                SelectItem::Embed(embed) => ProjItem::Embed(Box::new(self.embed(table, embed, path)?)),
            });
        }
        Ok(ReadPlan {
            from: QualifiedName {
                schema: table.schema.clone(),
                name: table.name.clone(),
            },
            alias,
            select,
            conditions: self.levels.conditions.remove(&key).unwrap_or_default(),
            logic: self.levels.logic.remove(&key).unwrap_or_default(),
            order: self.levels.order.remove(&key).unwrap_or_default(),
            page: self.levels.pages.remove(&key).unwrap_or_default(),
        })
    }

    fn embed(&mut self, parent: &Table, embed: &Embed, path: &[String]) -> Result<EmbedPlan, PlanError> {
        let output = embed.alias.clone().unwrap_or_else(|| embed.relation.clone());
        let Candidate { child, kind, pairs, .. } = self.relationship(parent, embed)?;
        if embed.spread && kind != JoinKind::ToOne {
            return Err(PlanError::new(
                400,
                "PGRST119",
                format!(
                    "A spread operation on '{}' is only supported on to-one relationships",
                    embed.relation
                ),
            ));
        }
        let mut child_path = path.to_vec();
        child_path.push(output.clone());
        let items = if embed.spread {
            spread_items(child, &embed.items)?
        } else {
            embed.items.clone()
        };
        let read = self.level(child, &items, &child_path)?;
        Ok(EmbedPlan {
            output,
            kind,
            pairs,
            inner: embed.inner,
            spread: embed.spread,
            read,
        })
    }

    /// Finds how `parent` relates to the embed's target, the way PostgREST does: the target is
    /// a table name (or a foreign-key name / column used as hint), disambiguated by `!hint`.
    fn relationship(&self, parent: &Table, embed: &Embed) -> Result<Candidate<'a>, PlanError> {
        let cache: &'a SchemaCache = self.cache;
        let fks = cache.foreign_keys();
        let names_target = |table: &str, fk: &ForeignKey| table == embed.relation || fk.name == embed.relation;
        let mut candidates: Vec<Candidate<'a>> = Vec::new();
        for fk in fks.iter().filter(|f| f.schema == parent.schema) {
            // Many-to-one: the parent holds the foreign key (named by table, FK, or FK column).
            let by_column = fk.columns.len() == 1 && fk.columns[0] == embed.relation;
            if fk.table == parent.name
                && (names_target(&fk.ref_table, fk) || by_column)
                && let Some(child) = cache.table(&fk.ref_schema, &fk.ref_table)
            {
                candidates.push(Candidate {
                    child,
                    kind: JoinKind::ToOne,
                    pairs: fk.columns.iter().cloned().zip(fk.ref_columns.iter().cloned()).collect(),
                    label: fk.name.clone(),
                });
            }
        }
        for fk in fks
            .iter()
            .filter(|f| f.ref_schema == parent.schema && f.ref_table == parent.name)
        {
            // One-to-many: the child holds a foreign key to the parent.
            if names_target(&fk.table, fk)
                && let Some(child) = cache.table(&fk.schema, &fk.table)
            {
                candidates.push(Candidate {
                    child,
                    kind: JoinKind::ToMany,
                    pairs: fk.ref_columns.iter().cloned().zip(fk.columns.iter().cloned()).collect(),
                    label: fk.name.clone(),
                });
            }
        }
        if let Some(target) = cache.table(&parent.schema, &embed.relation) {
            candidates.extend(many_to_many(cache, parent, target));
        }
        if let Some(hint) = &embed.hint {
            candidates.retain(|c| c.matches_hint(hint));
        }
        match candidates.len() {
            0 => Err(PlanError::new(
                400,
                "PGRST200",
                format!(
                    "Could not find a relationship between '{}' and '{}' in the schema cache",
                    parent.name, embed.relation
                ),
            )
            .with_hint("Verify that the foreign key exists and that the embedded resource is spelled correctly.")),
            1 => Ok(candidates.remove(0)),
            _ => Err(PlanError::new(
                300,
                "PGRST201",
                format!(
                    "Could not embed because more than one relationship was found for '{}' and '{}'",
                    parent.name, embed.relation
                ),
            )
            .with_hint(format!(
                "Try changing '{}' to one of the following: {}.",
                embed.relation,
                candidates
                    .iter()
                    .map(|c| format!("'{}!{}'", embed.relation, c.label))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

/// A spread lifts the child's columns into the parent object: `*` becomes the child's columns,
/// and nested embeds are not supported inside a spread.
fn spread_items(child: &Table, items: &[SelectItem]) -> Result<Vec<SelectItem>, PlanError> {
    let mut out = Vec::new();
    for item in items {
        match item {
            SelectItem::Star => out.extend(child.columns.iter().map(|c| SelectItem::Field {
                field: Field::column(c.name.clone()),
                alias: None,
                cast: None,
            })),
            SelectItem::Field { .. } => out.push(item.clone()),
            SelectItem::Embed(e) => {
                return Err(PlanError::new(
                    400,
                    "PGRST119",
                    format!("Embedding '{}' inside a spread is not supported", e.relation),
                ));
            }
        }
    }
    Ok(out)
}

/// One way a parent can reach an embedded table.
struct Candidate<'a> {
    child: &'a Table,
    kind: JoinKind,
    /// (parent column, child column) equalities for direct relationships.
    pairs: Vec<(String, String)>,
    /// The foreign key's name (or the junction table's), for hints and messages.
    label: String,
}

impl Candidate<'_> {
    fn matches_hint(&self, hint: &str) -> bool {
        self.label == hint
            || self.child.name == hint
            || self.pairs.iter().any(|(p, c)| p == hint || c == hint)
            || matches!(&self.kind, JoinKind::ManyToMany { junction, .. } if junction.name == hint)
    }
}

/// Junction tables with foreign keys to both `parent` and `target`.
fn many_to_many<'a>(cache: &'a SchemaCache, parent: &Table, target: &'a Table) -> Vec<Candidate<'a>> {
    let fks = cache.foreign_keys();
    let mut out = Vec::new();
    for to_parent in fks
        .iter()
        .filter(|f| f.ref_schema == parent.schema && f.ref_table == parent.name)
    {
        let to_target = fks.iter().filter(|f| {
            f.schema == to_parent.schema
                && f.table == to_parent.table
                && f.name != to_parent.name
                && f.ref_schema == target.schema
                && f.ref_table == target.name
        });
        for to_target in to_target {
            let Some(junction) = cache.table(&to_parent.schema, &to_parent.table) else {
                continue;
            };
            out.push(Candidate {
                child: target,
                kind: JoinKind::ManyToMany {
                    junction: QualifiedName {
                        schema: junction.schema.clone(),
                        name: junction.name.clone(),
                    },
                    parent_pairs: to_parent
                        .columns
                        .iter()
                        .cloned()
                        .zip(to_parent.ref_columns.iter().cloned())
                        .collect(),
                    child_pairs: to_target
                        .columns
                        .iter()
                        .cloned()
                        .zip(to_target.ref_columns.iter().cloned())
                        .collect(),
                },
                pairs: Vec::new(),
                label: junction.name.clone(),
            });
        }
    }
    out
}
