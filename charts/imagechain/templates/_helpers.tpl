{{/* The release's full name, at most 63 characters (a DNS label). */}}
{{- define "imagechain.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "imagechain.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* Every object's labels but the component. */}}
{{- define "imagechain.commonLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "imagechain.labels" -}}
{{ include "imagechain.commonLabels" . }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "imagechain.serviceAccountName" -}}
{{- default (include "imagechain.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "imagechain.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The worker image: the operator's own unless set (it holds both entry points). */}}
{{- define "imagechain.workerImage" -}}
{{- if .Values.worker.image.repository -}}
{{- printf "%s:%s" .Values.worker.image.repository (default .Chart.AppVersion .Values.worker.image.tag) -}}
{{- else -}}
{{- include "imagechain.image" . -}}
{{- end -}}
{{- end -}}

{{/*
  The worker pods' ServiceAccount, or "": it must exist in each chain's namespace, so only one watched
  namespace has one (watching all, pods use their namespace's default ServiceAccount, without a token).
*/}}
{{- define "imagechain.workerServiceAccount" -}}
{{- if .Values.operator.watchNamespace -}}
{{- .Values.worker.serviceAccount.name -}}
{{- end -}}
{{- end -}}
