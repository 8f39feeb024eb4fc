//! What async-graphql's complexity limit misses. Its visitor skips `__typename`, so 10 000 aliases
//! of it cost nothing: this counts them like any field (1 each, times each enclosing page's size)
//! and applies the limit to the sum. Its depth check and validation inline every fragment spread
//! anew (fragments spreading the next twice, 30 deep: 2³⁰ visits of 1 KiB), so this first counts
//! fields with each fragment inlined once, and refuses a document over [`MAX_INLINED_FIELDS`] or
//! with an unused fragment (which validation would walk without a bound).

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use async_graphql::{
    Name, Request, ServerError, ServerResult, ValidationResult, Value, Variables,
    async_trait::async_trait,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
        NextValidation,
    },
    parser::types::{ExecutableDocument, Field, OperationType, Selection, SelectionSet},
    registry::{MetaField, MetaTypeName, Registry},
};

use crate::model::PAGE_SIZE_MAX;

/// Most fields a document may have with fragments inlined. One within the complexity limit has at
/// most twice that many (a one-item page costs only what it selects); 10 000 visits are quick.
pub const MAX_INLINED_FIELDS: usize = 10_000;

/// Nesting bound while counting: async-graphql refuses >32 spreads deep, the parser >64 selections.
const MAX_INLINING_DEPTH: usize = 128;

pub struct TypenameComplexity {
    pub limit: usize,
}

impl ExtensionFactory for TypenameComplexity {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CountedRequest {
            limit: self.limit,
            typenames: AtomicUsize::new(0),
        })
    }
}

/// One request's count: made when its document is parsed, used when it is validated.
struct CountedRequest {
    limit: usize,
    typenames: AtomicUsize,
}

#[async_trait]
impl Extension for CountedRequest {
    /// Parses the document (the schema reuses the parse) and counts its inlined fields; a syntax
    /// error is left to the schema to answer.
    async fn prepare_request(
        &self,
        context: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Ok(document) = request.parsed_query() {
            let mut inlined = InlinedFields {
                document,
                fragments: HashMap::new(),
            };
            let fields = inlined.of_document()?;
            if fields > MAX_INLINED_FIELDS {
                return Err(too_complex());
            }
            // Validation walks them first, unbounded: 6 000 unused fragments overflowed its stack.
            if let Some(unused) = inlined.first_unused_fragment() {
                return Err(ServerError::new(
                    format!("Fragment \"{unused}\" is never used"),
                    None,
                ));
            }
        }
        next.run(context, request).await
    }

    async fn parse_query(
        &self,
        context: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(context, query, variables).await?;
        let mut cost = TypenameCost {
            registry: &context.schema_env.registry,
            document: &document,
            variables,
            fragments: HashMap::new(),
        };
        self.typenames.store(cost.of_document(), Ordering::Relaxed);
        Ok(document)
    }

    async fn validation(
        &self,
        context: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let mut result = next.run(context).await?;
        result.complexity = result
            .complexity
            .saturating_add(self.typenames.load(Ordering::Relaxed));
        if result.complexity > self.limit {
            return Err(vec![too_complex()]);
        }
        Ok(result)
    }
}

/// async-graphql's own words for its own limit.
fn too_complex() -> ServerError {
    ServerError::new("Query is too complex.", None)
}

struct InlinedFields<'a> {
    document: &'a ExecutableDocument,
    /// Each fragment's count once known; `None` while it is being counted.
    fragments: HashMap<&'a str, Option<usize>>,
}

impl<'a> InlinedFields<'a> {
    fn of_document(&mut self) -> ServerResult<usize> {
        let document = self.document;
        document
            .operations
            .iter()
            .try_fold(0usize, |total, (_, operation)| {
                let fields = self.of_selections(&operation.node.selection_set.node, 0)?;
                Ok(total.saturating_add(fields))
            })
    }

    /// A fragment no operation spreads (the walk above has reached every one they use).
    fn first_unused_fragment(&self) -> Option<&'a Name> {
        self.document
            .fragments
            .keys()
            .find(|name| !self.fragments.contains_key(name.as_str()))
    }

    fn of_selections(&mut self, selections: &'a SelectionSet, depth: usize) -> ServerResult<usize> {
        if depth > MAX_INLINING_DEPTH {
            return Err(ServerError::new("Query is nested too deep.", None));
        }
        selections
            .items
            .iter()
            .try_fold(0usize, |total, selection| {
                let fields = match &selection.node {
                    Selection::Field(field) => self
                        .of_selections(&field.node.selection_set.node, depth + 1)?
                        .saturating_add(1),
                    Selection::FragmentSpread(spread) => {
                        self.of_fragment(&spread.node.fragment_name.node, depth + 1)?
                    }
                    Selection::InlineFragment(inline) => {
                        self.of_selections(&inline.node.selection_set.node, depth + 1)?
                    }
                };
                Ok(total.saturating_add(fields))
            })
    }

    fn of_fragment(&mut self, name: &'a Name, depth: usize) -> ServerResult<usize> {
        match self.fragments.get(name.as_str()) {
            Some(Some(fields)) => return Ok(*fields),
            // async-graphql's words; its depth check would go round the cycle 32 times first.
            Some(None) => {
                return Err(ServerError::new(
                    format!("Cannot spread fragment \"{name}\" within itself."),
                    None,
                ));
            }
            None => {}
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return Ok(0);
        };
        self.fragments.insert(name.as_str(), None);
        let fields = self.of_selections(&fragment.node.selection_set.node, depth)?;
        self.fragments.insert(name.as_str(), Some(fields));
        Ok(fields)
    }
}

/// What a document's `__typename` fields cost over all its operations. Runs before validation, so
/// an unknown field or fragment costs nothing here: validation refuses it anyway.
struct TypenameCost<'a> {
    registry: &'a Registry,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Each fragment's cost, walked once; 0 while being walked, so a cycle (refused later) ends.
    fragments: HashMap<&'a str, usize>,
}

impl<'a> TypenameCost<'a> {
    fn of_document(&mut self) -> usize {
        let (registry, document) = (self.registry, self.document);
        document
            .operations
            .iter()
            .map(|(_, operation)| {
                let root = match operation.node.ty {
                    OperationType::Query => Some(&registry.query_type),
                    OperationType::Mutation => registry.mutation_type.as_ref(),
                    OperationType::Subscription => registry.subscription_type.as_ref(),
                };
                root.map_or(0, |root| {
                    self.of_selections(root, &operation.node.selection_set.node)
                })
            })
            .fold(0, usize::saturating_add)
    }

    fn of_selections(&mut self, type_name: &str, selections: &'a SelectionSet) -> usize {
        selections
            .items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => self.of_field(type_name, &field.node),
                Selection::FragmentSpread(spread) => {
                    self.of_fragment(&spread.node.fragment_name.node)
                }
                Selection::InlineFragment(inline) => {
                    let on = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(type_name, |condition| condition.node.on.node.as_str());
                    self.of_selections(on, &inline.node.selection_set.node)
                }
            })
            .fold(0, usize::saturating_add)
    }

    fn of_fragment(&mut self, name: &'a Name) -> usize {
        if let Some(&cost) = self.fragments.get(name.as_str()) {
            return cost;
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return 0;
        };
        self.fragments.insert(name.as_str(), 0);
        let on = fragment.node.type_condition.node.on.node.as_str();
        let cost = self.of_selections(on, &fragment.node.selection_set.node);
        self.fragments.insert(name.as_str(), cost);
        cost
    }

    /// A `__typename` costs 1, another field what its selections cost, once per item for a page.
    fn of_field(&mut self, type_name: &str, field: &'a Field) -> usize {
        if field.name.node == "__typename" {
            return 1;
        }
        let registry = self.registry;
        let Some(meta) = registry
            .types
            .get(type_name)
            .and_then(|parent| parent.field_by_name(&field.name.node))
        else {
            return 0;
        };
        let inner = self.of_selections(
            MetaTypeName::concrete_typename(&meta.ty),
            &field.selection_set.node,
        );
        if meta.compute_complexity.is_some() {
            page_complexity(self.page_size(field, meta), inner)
        } else {
            inner
        }
    }

    /// The `limit` argument (literal or variable), else its default, else the largest page.
    fn page_size(&self, field: &Field, meta: &MetaField) -> i32 {
        let given = field.get_argument("limit").map(|argument| {
            argument
                .node
                .clone()
                .into_const_with(|name| self.variables.get(&name).cloned().ok_or(()))
                .ok()
                .and_then(|value| match value {
                    Value::Number(number) => number.as_i64(),
                    _ => None,
                })
        });
        let default = || {
            meta.args
                .get("limit")
                .and_then(|argument| argument.default_value.as_deref())
                .and_then(|text| text.parse().ok())
        };
        given
            .unwrap_or_else(default)
            .and_then(|limit| i32::try_from(limit).ok())
            .unwrap_or_else(|| i32::try_from(PAGE_SIZE_MAX).unwrap_or(i32::MAX))
    }
}

/// A page costs what one item selects, once per item it can hold. An out-of-range `limit` is
/// refused by the resolver; here it is only clamped so the estimate stays defined.
pub(super) fn page_complexity(limit: i32, per_item: usize) -> usize {
    let items = limit.clamp(1, PAGE_SIZE_MAX.try_into().unwrap_or(i32::MAX));
    usize::try_from(items).unwrap_or(1).saturating_mul(per_item)
}
