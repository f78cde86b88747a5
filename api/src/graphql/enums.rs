//! The GraphQL enums are the domain's text enums: [`GqlEnum`] shows any
//! [`TextEnum`] as a GraphQL enum whose values are the domain's texts, in the
//! domain's order, so the list of values is written once. The API only names
//! the type and describes it ([`graphql_enum!`]).

use std::borrow::Cow;

use async_graphql::parser::types::Field;
use async_graphql::registry::{Deprecation, MetaEnumValue, MetaType, MetaTypeId, Registry};
use async_graphql::{
    ContextSelectionSet, InputType, InputValueError, InputValueResult, Name, OutputType, Positioned, ServerResult,
    Value,
};

use domain::TextEnum;

/// How the API names and describes a domain enum; written by [`graphql_enum!`].
pub trait Described: TextEnum {
    /// The GraphQL type's name.
    const NAME: &'static str;
    /// The lines of the type's doc comment.
    const DOC: &'static [&'static str];
    /// The values that carry a description, with it.
    const VALUE_DOCS: &'static [(Self, &'static str)];
}

/// A domain enum as a GraphQL enum (input and output).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GqlEnum<T>(pub T);

impl<T> From<T> for GqlEnum<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

/// A doc comment as `#[derive(Enum)]` describes with it: each line trimmed,
/// joined, the whole trimmed.
fn description(doc: &[&str]) -> Option<String> {
    let joined: String = doc.iter().map(|line| format!("\n{}", line.trim())).collect();
    (!doc.is_empty()).then(|| joined.trim().to_string())
}

impl<T: Described> InputType for GqlEnum<T> {
    type RawValueType = Self;

    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(T::NAME)
    }

    fn create_type_info(registry: &mut Registry) -> String {
        registry.create_input_type::<Self, _>(MetaTypeId::Enum, |_| MetaType::Enum {
            name: T::NAME.to_string(),
            description: description(T::DOC),
            enum_values: T::ALL
                .iter()
                .map(|value| {
                    let name = value.as_str().to_string();
                    let doc = T::VALUE_DOCS.iter().find(|(v, _)| v == value).map(|(_, doc)| doc.to_string());
                    let meta = MetaEnumValue {
                        name: name.clone(),
                        description: doc,
                        deprecation: Deprecation::NoDeprecated,
                        visible: None,
                        inaccessible: false,
                        tags: vec![],
                        directive_invocations: vec![],
                    };
                    (name, meta)
                })
                .collect(),
            visible: None,
            inaccessible: false,
            tags: vec![],
            rust_typename: Some(std::any::type_name::<Self>()),
            directive_invocations: vec![],
            requires_scopes: vec![],
        })
    }

    /// As `#[derive(Enum)]` parses (`resolver_utils::parse_enum`): an enum
    /// value or a string, with its errors.
    fn parse(value: Option<Value>) -> InputValueResult<Self> {
        let value = value.unwrap_or_default();
        let text = match &value {
            Value::Enum(s) => s.as_str(),
            Value::String(s) => s.as_str(),
            _ => return Err(InputValueError::expected_type(value)),
        };
        T::ALL.iter().find(|v| v.as_str() == text).map(|v| GqlEnum(*v)).ok_or_else(|| {
            InputValueError::custom(format_args!(r#"Enumeration type does not contain value "{text}"."#))
        })
    }

    fn to_value(&self) -> Value {
        Value::Enum(Name::new(self.0.as_str()))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }
}

impl<T: Described> OutputType for GqlEnum<T> {
    fn type_name() -> Cow<'static, str> {
        <Self as InputType>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Self as InputType>::create_type_info(registry)
    }

    async fn resolve(&self, _: &ContextSelectionSet<'_>, _field: &Positioned<Field>) -> ServerResult<Value> {
        Ok(self.to_value())
    }
}

/// A domain enum in the API: `graphql_enum!(/// doc\n Name = domain::Type
/// { Variant: "description", … })` declares `Name` (the GraphQL type's name)
/// as `GqlEnum<domain::Type>`; the doc comment and the braces, which describe
/// the values that want a description, may be left out.
macro_rules! graphql_enum {
    ($(#[doc = $doc:literal])* $name:ident = $domain:ty $({ $($variant:ident: $vdoc:literal),+ $(,)? })?) => {
        pub type $name = $crate::graphql::enums::GqlEnum<$domain>;

        impl $crate::graphql::enums::Described for $domain {
            const NAME: &'static str = stringify!($name);
            const DOC: &'static [&'static str] = &[$($doc),*];
            const VALUE_DOCS: &'static [(Self, &'static str)] = &[$($((Self::$variant, $vdoc)),+)?];
        }

        impl From<$crate::graphql::enums::GqlEnum<$domain>> for $domain {
            fn from(value: $crate::graphql::enums::GqlEnum<$domain>) -> Self {
                value.0
            }
        }
    };
}
pub(crate) use graphql_enum;

#[cfg(test)]
mod tests {
    use async_graphql::{Enum, InputType, Name, Number, Pos, Value};

    use super::GqlEnum;

    /// What the API declared before `GqlEnum`: the derive this copies.
    #[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
    enum ConsentGiver {
        #[graphql(name = "SELF")]
        Elder,
        Guardian,
    }

    fn parsed<T: InputType>(value: Value) -> Result<Value, String> {
        T::parse(Some(value)).map(|v| v.to_value()).map_err(|e| e.into_server_error(Pos::default()).message)
    }

    #[test]
    fn a_domain_enum_parses_and_fails_to_parse_as_the_derived_graphql_enum_does() {
        let inputs = [
            Value::Enum(Name::new("SELF")),
            Value::String("GUARDIAN".into()),
            Value::Enum(Name::new("ELDER")),
            Value::String("guardian".into()),
            Value::Number(Number::from(1)),
            Value::Null,
        ];
        for input in inputs {
            assert_eq!(
                parsed::<GqlEnum<domain::care::ConsentGiver>>(input.clone()),
                parsed::<ConsentGiver>(input.clone()),
                "{input}"
            );
        }
        assert_eq!(parsed::<ConsentGiver>(Value::Enum(Name::new("SELF"))), Ok(Value::Enum(Name::new("SELF"))));
    }
}
