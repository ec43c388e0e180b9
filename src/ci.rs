//! The CI run that pushed: read from the variables of GitLab CI, GitHub Actions, Jenkins or
//! a generic CI, and overridable from the command line.

use serde::{Deserialize, Serialize};

/// Who pushed an entry, as far as the CI environment tells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, clap::Args)]
pub struct CiContext {
    /// CI system (`gitlab`, `github`, `jenkins`, `ci`); detected from the environment.
    #[arg(long = "ci-provider", value_name = "NAME")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Project or repository (`group/project`).
    #[arg(long = "ci-project", value_name = "NAME")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Pipeline, run or build id.
    #[arg(long = "ci-pipeline", value_name = "ID")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    /// Job name (and id).
    #[arg(long = "ci-job", value_name = "NAME")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// Commit SHA that was built.
    #[arg(long = "ci-commit", value_name = "SHA")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Branch or tag.
    #[arg(long = "ci-ref", value_name = "REF")]
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// Link to the pipeline or build.
    #[arg(long = "ci-url", value_name = "URL")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When the pipeline started, as the CI system reports it.
    #[arg(long = "ci-started-at", value_name = "TIME")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

impl CiContext {
    /// Reads the context from the process environment.
    pub fn from_env() -> CiContext {
        Self::detect(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the context through `var`, which returns a variable's non-empty value.
    pub fn detect(var: impl Fn(&str) -> Option<String>) -> CiContext {
        if var("GITLAB_CI").is_some() {
            Self::gitlab(&var)
        } else if var("GITHUB_ACTIONS").is_some() {
            Self::github(&var)
        } else if var("JENKINS_URL").is_some() {
            Self::jenkins(&var)
        } else if var("CI").is_some_and(|v| v != "false" && v != "0") {
            Self::generic(&var)
        } else {
            CiContext::default()
        }
    }

    fn gitlab(var: &impl Fn(&str) -> Option<String>) -> CiContext {
        let job = match (var("CI_JOB_NAME"), var("CI_JOB_ID")) {
            (Some(name), Some(id)) => Some(format!("{name} #{id}")),
            (name, id) => name.or(id),
        };
        CiContext {
            provider: Some("gitlab".into()),
            project: var("CI_PROJECT_PATH"),
            pipeline: var("CI_PIPELINE_ID"),
            job,
            commit: var("CI_COMMIT_SHA"),
            git_ref: var("CI_COMMIT_REF_NAME"),
            url: var("CI_PIPELINE_URL").or_else(|| var("CI_JOB_URL")),
            started_at: var("CI_PIPELINE_CREATED_AT"),
        }
    }

    fn github(var: &impl Fn(&str) -> Option<String>) -> CiContext {
        let url = match (var("GITHUB_SERVER_URL"), var("GITHUB_REPOSITORY"), var("GITHUB_RUN_ID")) {
            (Some(server), Some(repo), Some(run)) => {
                Some(format!("{server}/{repo}/actions/runs/{run}"))
            }
            _ => None,
        };
        let pipeline = match (var("GITHUB_RUN_ID"), var("GITHUB_RUN_ATTEMPT")) {
            (Some(run), Some(attempt)) if attempt != "1" => Some(format!("{run}.{attempt}")),
            (run, _) => run,
        };
        CiContext {
            provider: Some("github".into()),
            project: var("GITHUB_REPOSITORY"),
            pipeline,
            job: var("GITHUB_JOB"),
            commit: var("GITHUB_SHA"),
            git_ref: var("GITHUB_REF_NAME"),
            url,
            started_at: None,
        }
    }

    fn jenkins(var: &impl Fn(&str) -> Option<String>) -> CiContext {
        CiContext {
            provider: Some("jenkins".into()),
            project: var("JOB_NAME"),
            pipeline: var("BUILD_NUMBER"),
            job: var("STAGE_NAME"),
            commit: var("GIT_COMMIT"),
            git_ref: var("GIT_BRANCH").or_else(|| var("BRANCH_NAME")),
            url: var("BUILD_URL"),
            started_at: None,
        }
    }

    fn generic(var: &impl Fn(&str) -> Option<String>) -> CiContext {
        CiContext {
            provider: Some("ci".into()),
            project: var("CI_REPO").or_else(|| var("CI_PROJECT")),
            pipeline: var("BUILD_ID").or_else(|| var("BUILD_NUMBER")),
            job: var("CI_JOB"),
            commit: var("GIT_COMMIT").or_else(|| var("CI_COMMIT_SHA")),
            git_ref: var("GIT_BRANCH").or_else(|| var("CI_BRANCH")),
            url: var("BUILD_URL"),
            started_at: None,
        }
    }

    /// This context with every field set in `overrides` replaced.
    pub fn overridden_by(self, overrides: &CiContext) -> CiContext {
        let pick = |flag: &Option<String>, found: Option<String>| flag.clone().or(found);
        CiContext {
            provider: pick(&overrides.provider, self.provider),
            project: pick(&overrides.project, self.project),
            pipeline: pick(&overrides.pipeline, self.pipeline),
            job: pick(&overrides.job, self.job),
            commit: pick(&overrides.commit, self.commit),
            git_ref: pick(&overrides.git_ref, self.git_ref),
            url: pick(&overrides.url, self.url),
            started_at: pick(&overrides.started_at, self.started_at),
        }
    }

    /// A one-line description for people (`gitlab group/app pipeline 42 @ 1a2b3c4`).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        parts.extend(self.provider.clone());
        parts.extend(self.project.clone());
        parts.extend(self.pipeline.as_ref().map(|p| format!("pipeline {p}")));
        parts.extend(self.commit.as_ref().map(|c| format!("@ {}", &c[..c.len().min(12)])));
        if parts.is_empty() { "-".to_string() } else { parts.join(" ") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn gitlab_variables() {
        let ci = CiContext::detect(env(&[
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_PATH", "group/app"),
            ("CI_PIPELINE_ID", "42"),
            ("CI_JOB_NAME", "evidence"),
            ("CI_JOB_ID", "7"),
            ("CI_COMMIT_SHA", "abc"),
            ("CI_PIPELINE_URL", "https://gitlab.example/group/app/-/pipelines/42"),
        ]));
        assert_eq!(ci.provider.as_deref(), Some("gitlab"));
        assert_eq!(ci.project.as_deref(), Some("group/app"));
        assert_eq!(ci.job.as_deref(), Some("evidence #7"));
    }

    #[test]
    fn github_url_is_built_and_flags_win() {
        let ci = CiContext::detect(env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "org/repo"),
            ("GITHUB_RUN_ID", "99"),
        ]));
        assert_eq!(ci.url.as_deref(), Some("https://github.com/org/repo/actions/runs/99"));
        let flags = CiContext { project: Some("other".into()), ..Default::default() };
        let ci = ci.overridden_by(&flags);
        assert_eq!(ci.project.as_deref(), Some("other"));
        assert_eq!(ci.pipeline.as_deref(), Some("99"));
    }

    #[test]
    fn jenkins_and_nothing() {
        let ci = CiContext::detect(env(&[("JENKINS_URL", "x"), ("JOB_NAME", "app")]));
        assert_eq!(ci.provider.as_deref(), Some("jenkins"));
        assert_eq!(CiContext::detect(env(&[])), CiContext::default());
    }
}
