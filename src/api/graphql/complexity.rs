//! `__typename` in the complexity limit. async-graphql's validation walks every field but
//! `__typename` (its visitor skips it), so the complexity it computes leaves those out, and 10 000
//! aliases of `__typename` cost nothing. This extension counts them as it counts any other field —
//! 1 each, times the page size of each page they are in — adds them to async-graphql's figure and
//! applies the schema's limit to the sum.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use async_graphql::{
    Name, ServerError, ServerResult, ValidationResult, Value, Variables,
    async_trait::async_trait,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation},
    parser::types::{ExecutableDocument, Field, OperationType, Selection, SelectionSet},
    registry::{MetaField, MetaTypeName, Registry},
};

use super::schema::page_complexity;
use crate::model::PAGE_SIZE_MAX;

/// The extension, with the limit the sum must stay within.
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
            // async-graphql's own words for its own limit.
            return Err(vec![ServerError::new("Query is too complex.", None)]);
        }
        Ok(result)
    }
}

/// What the `__typename` fields of a document cost, over all its operations (as async-graphql
/// sums the rest). Runs before validation, so an unknown field or fragment just costs nothing
/// here: validation refuses it anyway.
struct TypenameCost<'a> {
    registry: &'a Registry,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Each fragment's cost, once worked out (a fragment spread many times is walked once; while
    /// it is being walked it costs 0, so a cycle, which validation refuses, ends).
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

    /// The cost of `selections`, made on an object of type `type_name`.
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

    /// A `__typename` costs 1. Another field costs what its own selections cost; a field with a
    /// complexity of its own is a page (`schema.rs`), which costs them once per item it can hold.
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

    /// The page's `limit`: its argument (a literal or a variable), else its default; the largest
    /// page when neither says (the resolver then refuses the request anyway).
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
