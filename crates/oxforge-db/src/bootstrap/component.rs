//! Bootstrap steps grouped by the component (core, or a capability) that owns them.
//!
//! Each component versions its own SQL: a step is identified by `(component, version)`, and the
//! versions of one component strictly increase. A list of components is applied in its order,
//! each component's steps in version order.

use std::collections::HashSet;

/// One versioned SQL step of a component.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
    /// The `(component, version)` an older build recorded this step as (its SQL moved here from
    /// another component). When that row exists, it is re-labelled instead of running `sql`.
    pub formerly: Option<(&'static str, i32)>,
}

/// A named, independently versioned list of bootstrap steps.
#[derive(Debug, Clone, Copy)]
pub struct Component {
    pub name: &'static str,
    pub steps: &'static [Step],
}

impl Component {
    /// The versions of this component's steps, in order.
    pub fn versions(&self) -> Vec<i32> {
        self.steps.iter().map(|s| s.version).collect()
    }
}

/// A list of components that cannot be applied: a programming error in the build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComponentError {
    #[error("bootstrap component {0} is listed twice")]
    Duplicate(&'static str),
    #[error(
        "bootstrap component {component}: step {version} follows step {previous} (versions must strictly increase)"
    )]
    Unordered {
        component: &'static str,
        version: i32,
        previous: i32,
    },
    #[error("bootstrap step {component} {version} was formerly {} {}, which {reason}", former.0, former.1)]
    Formerly {
        component: &'static str,
        version: i32,
        former: (&'static str, i32),
        reason: &'static str,
    },
}

/// Checks that `components` can be applied: unique names, strictly increasing versions, and
/// former labels that no step of this build still uses or shares.
pub(crate) fn validate(components: &[Component]) -> Result<(), ComponentError> {
    let mut names = HashSet::new();
    let mut steps = HashSet::new();
    for component in components {
        if !names.insert(component.name) {
            return Err(ComponentError::Duplicate(component.name));
        }
        for pair in component.steps.windows(2) {
            if let [previous, step] = pair
                && step.version <= previous.version
            {
                return Err(ComponentError::Unordered {
                    component: component.name,
                    version: step.version,
                    previous: previous.version,
                });
            }
        }
        steps.extend(component.steps.iter().map(|s| (component.name, s.version)));
    }
    let mut formers = HashSet::new();
    for component in components {
        for step in component.steps {
            let Some(former) = step.formerly else { continue };
            let reason = if steps.contains(&former) {
                "is still a step of this build"
            } else if !formers.insert(former) {
                "another step also claims"
            } else {
                continue;
            };
            return Err(ComponentError::Formerly {
                component: component.name,
                version: step.version,
                former,
                reason,
            });
        }
    }
    Ok(())
}

/// The core schema: roles, grants, `auth.*` helpers, the secret store. Versions 3 (accounts) and
/// 7 (session hardening) moved to the accounts capability (`oxforge-accounts`), which re-labels
/// their rows.
pub const CORE: Component = Component {
    name: "core",
    steps: &[
        Step {
            version: 1,
            name: "foundation",
            sql: include_str!("../../sql/0001_foundation.sql"),
            formerly: None,
        },
        Step {
            version: 2,
            name: "schema_reload",
            sql: include_str!("../../sql/0002_schema_reload.sql"),
            formerly: None,
        },
        Step {
            version: 4,
            name: "custom_migrations",
            sql: include_str!("../../sql/0004_custom_migrations.sql"),
            formerly: None,
        },
        Step {
            version: 5,
            name: "table_helpers",
            sql: include_str!("../../sql/0005_table_helpers.sql"),
            formerly: None,
        },
        Step {
            version: 6,
            name: "request_roles",
            sql: include_str!("../../sql/0006_request_roles.sql"),
            formerly: None,
        },
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    const fn step(version: i32, formerly: Option<(&'static str, i32)>) -> Step {
        Step {
            version,
            name: "step",
            sql: "SELECT 1",
            formerly,
        }
    }

    const A: Component = Component {
        name: "a",
        steps: &[step(1, None), step(3, None)],
    };

    #[test]
    fn core_is_valid_and_keeps_its_numbers() {
        assert_eq!(validate(&[CORE]), Ok(()));
        // 3 and 7 moved to accounts; a version is never reused.
        assert_eq!(CORE.versions(), [1, 2, 4, 5, 6]);
    }

    #[test]
    fn components_with_gaps_and_moved_steps_are_valid() {
        const MOVED: Component = Component {
            name: "moved",
            steps: &[step(1, Some(("a", 2))), step(2, None)],
        };
        assert_eq!(validate(&[A, MOVED]), Ok(()));
        assert_eq!(validate(&[]), Ok(()));
    }

    #[test]
    fn a_component_listed_twice_is_refused() {
        const ALSO_A: Component = Component { name: "a", steps: &[] };
        assert_eq!(validate(&[A, CORE, ALSO_A]), Err(ComponentError::Duplicate("a")));
    }

    #[test]
    fn versions_must_strictly_increase() {
        const SAME: Component = Component {
            name: "same",
            steps: &[step(1, None), step(2, None), step(2, None)],
        };
        const BACK: Component = Component {
            name: "back",
            steps: &[step(2, None), step(1, None)],
        };
        let unordered = |component, version, previous| ComponentError::Unordered {
            component,
            version,
            previous,
        };
        assert_eq!(validate(&[SAME]), Err(unordered("same", 2, 2)));
        assert_eq!(validate(&[A, BACK]), Err(unordered("back", 1, 2)));
    }

    #[test]
    fn a_former_label_must_be_free_and_claimed_once() {
        const STILL_THERE: Component = Component {
            name: "b",
            steps: &[step(1, Some(("a", 3)))],
        };
        const TWICE: Component = Component {
            name: "c",
            steps: &[step(1, Some(("old", 1))), step(2, Some(("old", 1)))],
        };
        let err = validate(&[A, STILL_THERE]);
        assert!(
            matches!(
                err,
                Err(ComponentError::Formerly {
                    component: "b",
                    version: 1,
                    former: ("a", 3),
                    ..
                })
            ),
            "{err:?}"
        );
        let err = validate(&[TWICE]);
        assert!(
            matches!(
                err,
                Err(ComponentError::Formerly {
                    component: "c",
                    version: 2,
                    former: ("old", 1),
                    ..
                })
            ),
            "{err:?}"
        );
        let message = err.map_err(|e| e.to_string()).err().unwrap_or_default();
        assert!(message.contains("c 2") && message.contains("old 1"), "{message}");
    }
}
