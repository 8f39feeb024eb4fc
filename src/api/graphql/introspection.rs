//! Introspection off (`GRAPHQL_INTROSPECTION=false`): a document asking for `__schema` or `__type`
//! is refused before it runs, as Apollo Server does; async-graphql's `disable_introspection`
//! answers a bare `null`, which tells a client nothing.

use std::sync::Arc;

use async_graphql::{
    Pos, ServerError, ServerResult, Variables,
    async_trait::async_trait,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

pub struct IntrospectionOff;

impl ExtensionFactory for IntrospectionOff {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(IntrospectionOff)
    }
}

#[async_trait]
impl Extension for IntrospectionOff {
    async fn parse_query(
        &self,
        context: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(context, query, variables).await?;
        match first_introspection_field(&document) {
            None => Ok(document),
            Some(position) => Err(ServerError::new(
                "Introspection is off on this server: it does not answer __schema or __type.",
                Some(position),
            )),
        }
    }
}

fn first_introspection_field(document: &ExecutableDocument) -> Option<Pos> {
    let operations = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node);
    let fragments = document
        .fragments
        .values()
        .map(|fragment| &fragment.node.selection_set.node);
    operations.chain(fragments).find_map(introspection_field_in)
}

fn introspection_field_in(selections: &SelectionSet) -> Option<Pos> {
    selections
        .items
        .iter()
        .find_map(|selection| match &selection.node {
            Selection::Field(field) => match field.node.name.node.as_str() {
                "__schema" | "__type" => Some(field.pos),
                _ => introspection_field_in(&field.node.selection_set.node),
            },
            Selection::InlineFragment(inline) => {
                introspection_field_in(&inline.node.selection_set.node)
            }
            // The fragment's own definition is searched on its own.
            Selection::FragmentSpread(_) => None,
        })
}
