package checks

import "github.com/kharden/kharden/pkg/finding"

const (
	objRefNSAAudit = "NSA/CISA Kubernetes Hardening Guide: Audit logging and threat detection"
	objRefNSAPod   = "NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security"
	objRefNSARBAC  = "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization"
	objRefNSANet   = "NSA/CISA Kubernetes Hardening Guide: Network separation and hardening"
)

// auditObjectChecks are the audit detectors that judge one request by the
// object it creates or the subresource it opens (pkg/detect/auditlog
// detect_*_pod.go, detect_cluster_admin.go, detect_exec.go, ...). They
// read ResponseComplete records of allowed requests (exec attempts also
// when denied); for patches they read the response object.
var auditObjectChecks = []*Check{
	{
		ID: RuleAuditPrivilegedPodCreated, Category: finding.CategoryDetection, Severity: finding.SeverityHigh,
		Summary: "A privileged pod or ephemeral container was created",
		Doc: "Fires on an allowed create of pods whose containers, initContainers or ephemeralContainers set " +
			"securityContext.privileged: true, and on an update or patch of pods/ephemeralcontainers whose ephemeral " +
			"containers are privileged (reading the request object, or the response object of a patch). The message " +
			"names each container's field path. Severity is high, critical in productionNamespaces. Not reported: " +
			"kubelet mirror pods of static pods (annotation kubernetes.io/config.mirror, created by system:node:*), " +
			"and pods the cluster's own controllers create in kube-system (CNI, kube-proxy and CSI node plugins are " +
			"privileged by design). Pods created by other controllers (a privileged Deployment or DaemonSet elsewhere) " +
			"are reported, one finding per generateName, for example web-7d9f8-*. A workload controller (Deployment, " +
			"DaemonSet, StatefulSet, ReplicaSet, Job, CronJob, ReplicationController) that a person or a workload's " +
			"ServiceAccount creates or replaces with a privileged container in its pod template is reported on the " +
			"controller, naming who wrote it — in kube-system too, where its pods would not be. Requires an audit " +
			"policy at level Request or RequestResponse for pods (and for the apps and batch groups for workloads).",
		Remediation: "Find who created the workload behind the pod and why it needs privileged; remove it or drop " +
			"privileged for the capabilities it needs. Enforce Pod Security Standards baseline (or restricted) on the " +
			"namespace with the pod-security.kubernetes.io/enforce label so the API server refuses privileged pods.",
		References: []string{"MITRE ATT&CK T1610 Deploy Container", "MITRE ATT&CK T1611 Escape to Host",
			"Falco rule: Create Privileged Pod", objRefNSAPod, objRefNSAAudit},
		Engine: EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditHostAccessPodCreated, Category: finding.CategoryDetection, Severity: finding.SeverityHigh,
		Summary: "A pod with host access was created in a production namespace",
		Doc: "Fires on an allowed create of pods with hostPath volumes (the message names the paths), hostNetwork, " +
			"hostPID or hostIPC, and on a workload controller a person creates or replaces with such a pod template " +
			"(the finding names the controller and who wrote it), in the namespaces listed in productionNamespaces. When productionNamespaces is empty, " +
			"every namespace is watched except kube-system, kube-public and kube-node-lease, whose components use host " +
			"access by design. Severity is high; critical when a hostPath is /, the container runtime's socket " +
			"(/var/run/docker.sock, /run/containerd/containerd.sock, CRI-O's crio.sock), /var/lib/kubelet, " +
			"/etc/kubernetes, or a directory holding one of them. Kubelet mirror pods are not reported. Known false " +
			"positives: log and monitoring agents (node exporters, log shippers) deployed outside the system namespaces.",
		Remediation: "Confirm the workload needs the node's filesystem or namespaces; replace hostPath with " +
			"persistent volumes, emptyDir or CSI drivers, and remove hostNetwork/hostPID/hostIPC. Enforce Pod Security " +
			"Standards baseline on production namespaces; move node agents to a dedicated namespace.",
		References: []string{"MITRE ATT&CK T1611 Escape to Host", "Falco rule: Create Sensitive Mount Pod",
			"Falco rule: Create HostNetwork Pod", objRefNSAPod, objRefNSAAudit},
		Engine: EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditClusterAdminGranted, Category: finding.CategoryDetection, Severity: finding.SeverityCritical,
		Summary: "cluster-admin (or an equivalent) was granted",
		Doc: "Fires on an allowed create, update or patch of a ClusterRoleBinding or RoleBinding whose roleRef is the " +
			"ClusterRole cluster-admin, naming the subjects; on a ClusterRole created or changed with a rule granting " +
			"verbs [\"*\"] on resources [\"*\"] in apiGroups [\"*\"]; and on a binding to such a ClusterRole seen earlier " +
			"in the same input. Bodies the API server writes itself at start-up (user system:apiserver) are skipped. " +
			"A RoleBinding to cluster-admin grants it in one namespace only; it is still reported. Requires an audit " +
			"policy at level Request or RequestResponse for rbac.authorization.k8s.io.",
		Remediation: "Check who made the change and whether it was approved; remove the binding or bind a narrower " +
			"role. Give people cluster-admin only through a break-glass group, and require review of RBAC changes " +
			"(GitOps). Revoke and rotate the credentials of the subjects if the change was not expected.",
		References: []string{"MITRE ATT&CK T1098 Account Manipulation", "Falco rule: Attach to cluster-admin Role",
			"Falco rule: ClusterRole With Wildcard Created", objRefNSARBAC, objRefNSAAudit},
		Engine: EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditExecIntoPod, Category: finding.CategoryDetection, Severity: finding.SeverityMedium,
		Summary: "Someone exec'd, attached or port-forwarded into a pod, or added an ephemeral container",
		Doc: "Fires on pods/exec, pods/attach and pods/portforward requests (verb create for SPDY clients, get for " +
			"WebSocket ones; both appear in real logs) and on update or patch of pods/ephemeralcontainers (kubectl " +
			"debug). Allowed requests and denied attempts are both reported; the message says which. Severity: high in " +
			"productionNamespaces and kube-system, medium elsewhere, low for denied attempts. The finding is about the " +
			"pod and relates the identity as subject. Known false positives: operators and backup tools that exec into " +
			"pods (backup hooks, database operators), and CI jobs running kubectl exec.",
		Remediation: "Confirm the session with the person or system that opened it. Grant pods/exec, pods/attach, " +
			"pods/portforward and pods/ephemeralcontainers only to break-glass or on-call roles, and prefer logs, " +
			"metrics and read-only debugging in production.",
		References: []string{"MITRE ATT&CK T1609 Container Administration Command", "Falco rule: Attach/Exec Pod",
			"Falco rule: EphemeralContainers Created", objRefNSAAudit},
		Engine: EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditAdmissionConfigChanged, Category: finding.CategoryDetection, Severity: finding.SeverityHigh,
		Summary: "Admission webhooks or policies were changed",
		Doc: "Fires on an allowed create, update, patch, delete or deletecollection of admissionregistration.k8s.io " +
			"validatingwebhookconfigurations, mutatingwebhookconfigurations, validatingadmissionpolicies, " +
			"validatingadmissionpolicybindings, mutatingadmissionpolicies or mutatingadmissionpolicybindings (status " +
			"updates excluded), by anyone but system:apiserver and the identities matching detect.trustedIdentities. " +
			"Severity is high for deletes and for changes by identities that are not the cluster's own (system:* " +
			"users, ServiceAccounts of kube-system), medium otherwise. Known false positives: cert-manager's cainjector " +
			"patches the caBundle of webhook configurations, and GitOps controllers apply them; list those " +
			"identities in detect.trustedIdentities (for example system:serviceaccount:cert-manager:cert-manager-cainjector).",
		Remediation: "Check the change was expected. A deleted or loosened webhook or policy turns off the controls " +
			"that depended on it (image signing, Pod Security, guardrails); restore it from source control and restrict " +
			"write access to admissionregistration.k8s.io.",
		References: []string{"MITRE ATT&CK T1562.001 Impair Defenses: Disable or Modify Tools",
			"Falco rule: Create/Modify/Delete Admission Webhook", objRefNSAAudit},
		Engine: EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditPodInKubeSystem, Category: finding.CategoryDetection, Severity: finding.SeverityMedium,
		Summary: "A pod was created in kube-system or kube-public by a non-system identity",
		Doc: "Fires on an allowed create of pods in kube-system or kube-public by an identity that is not one of the " +
			"cluster's own components: system:* users (controllers, schedulers, kubelets and their mirror pods) and " +
			"ServiceAccounts of kube-system are skipped, so pods of Deployments and DaemonSets never fire; pods " +
			"created directly by people or other workloads do. Parity with Falco's create-time rule.",
		Remediation: "Find out who created the pod and why directly in a system namespace; delete it if unexpected, " +
			"and restrict create on pods in kube-system to the cluster's controllers.",
		References: []string{"Falco rule: Pod Created in Kube Namespace", "MITRE ATT&CK T1610 Deploy Container",
			objRefNSAAudit},
		Engine: EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditNodePortService, Category: finding.CategoryDetection, Severity: finding.SeverityMedium,
		Summary: "A NodePort Service was created",
		Doc: "Fires on an allowed create, update or patch of services with spec.type NodePort, naming each port and " +
			"its node port (allocated by the server when the request did not set one). A NodePort opens the port on " +
			"every node's addresses, around ingress controllers and often around network policies and firewalls. " +
			"Parity with Falco's create-time rule; LoadBalancer Services are not reported.",
		Remediation: "Expose the service through an Ingress, a Gateway or a LoadBalancer Service instead, and forbid " +
			"NodePort Services with an admission policy where they are not needed.",
		References: []string{"Falco rule: Create NodePort Service", objRefNSANet, objRefNSAAudit},
		Engine:     EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditConfigMapCredentials, Category: finding.CategoryDetection, Severity: finding.SeverityHigh,
		Summary: "A ConfigMap holding credentials was created or changed",
		Doc: "Fires on an allowed create, update or patch of configmaps whose data or binaryData (base64-decoded) " +
			"entries hold a literal credential: a known token format, a credential-named key (password, token, " +
			"apikey, ...) with a literal value, or a configuration file with such a line; the same judgement as the " +
			"scan's hardcoded-credential rule. The finding names the keys only; values are never read into a " +
			"finding, an event or a log. Entries over 1 MiB are skipped. Parity with Falco's create-time rule.",
		Remediation: "Move the values to a Secret (or an external secret store), reference it from the workload, " +
			"and rotate the credentials: ConfigMaps are readable by far more identities than Secrets and are " +
			"written in full to audit logs at level Request.",
		References: []string{"Falco rule: Create/Modify Configmap With Private Credentials",
			"MITRE ATT&CK T1552 Unsecured Credentials", objRefNSAAudit},
		Engine: EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditIngressWithoutTLS, Category: finding.CategoryDetection, Severity: finding.SeverityMedium,
		Summary: "An Ingress without TLS was created",
		Doc: "Fires on an allowed create, update or patch of networking.k8s.io (or extensions) ingresses without " +
			"spec.tls, or whose rule hosts no spec.tls entry covers (exact names, or *.domain for one label). A tls " +
			"entry without hosts covers every host (the controller's default certificate). Parity with Falco's " +
			"create-time rule.",
		Remediation: "Add a spec.tls entry with a certificate for every host (cert-manager can issue them), and " +
			"redirect HTTP to HTTPS at the ingress controller.",
		References: []string{"Falco rule: Ingress Object without TLS Certificate Created", objRefNSANet, objRefNSAAudit},
		Engine:     EngineAnalysis, Command: AuditCommand,
	},
}
