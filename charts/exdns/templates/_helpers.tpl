{{/* Names ------------------------------------------------------------------------------- */}}

{{- define "exdns.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The release's object names. A release named like the chart ("exdns", "exdns-1") keeps its name,
so `helm install exdns-1` gives the Service exdns-1 and the apex exdns-1.<namespace>.
*/}}
{{- define "exdns.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "exdns.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "exdns.selectorLabels" -}}
app.kubernetes.io/name: {{ include "exdns.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "exdns.labels" -}}
helm.sh/chart: {{ include "exdns.chart" . }}
{{ include "exdns.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.customLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "exdns.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "exdns.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "exdns.customConfigName" -}}
{{- default (printf "%s-custom" (include "exdns.fullname" .)) .Values.customConfig.name -}}
{{- end -}}

{{- define "exdns.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* DNS settings ------------------------------------------------------------------------ */}}

{{/* The zones, space separated: `domain` is a string of space-separated names or a list. */}}
{{- define "exdns.zones" -}}
{{- $raw := list -}}
{{- if kindIs "slice" .Values.domain -}}
{{- range .Values.domain }}{{ $raw = concat $raw (splitList " " (toString .)) }}{{ end -}}
{{- else if .Values.domain -}}
{{- $raw = splitList " " (toString .Values.domain) -}}
{{- end -}}
{{- $zones := list -}}
{{- range $raw }}{{ $z := trim . }}{{ if and $z (not (has $z $zones)) }}{{ $zones = append $zones $z }}{{ end }}{{ end -}}
{{- if not $zones -}}
{{- fail "domain is required: the zone(s) exdns is authoritative for, e.g. --set domain=apps.example.com" -}}
{{- end -}}
{{- join " " $zones -}}
{{- end -}}

{{/* This nameserver's relative name: `apex`, or the DNS Service's `<fullname>.<namespace>`. */}}
{{- define "exdns.apex" -}}
{{- default (printf "%s.%s" (include "exdns.fullname" .) .Release.Namespace) .Values.apex -}}
{{- end -}}

{{- define "exdns.knownResources" -}}
Ingress Service HTTPRoute TLSRoute GRPCRoute VirtualService DNSEndpoint DNSEntry Node
{{- end -}}

{{/* watchedResources checked: a non-empty list of known kinds, duplicates dropped; space separated. */}}
{{- define "exdns.resources" -}}
{{- $known := splitList " " (include "exdns.knownResources" .) -}}
{{- $out := list -}}
{{- if not (kindIs "slice" .Values.watchedResources) -}}
{{- fail "watchedResources must be a list of kinds, e.g. [Ingress, Service]" -}}
{{- end -}}
{{- range .Values.watchedResources -}}
{{- if not (has . $known) -}}
{{- fail (printf "watchedResources: unknown kind %q (known: %s)" (toString .) (join ", " $known)) -}}
{{- end -}}
{{- if not (has . $out) }}{{ $out = append $out . }}{{ end -}}
{{- end -}}
{{- if not $out -}}
{{- fail "watchedResources must name at least one kind" -}}
{{- end -}}
{{- join " " $out -}}
{{- end -}}

{{- define "exdns.ingressClasses" -}}
{{- join " " (default (.Values.filters | default dict).ingressClasses .Values.ingressClasses) -}}
{{- end -}}
{{- define "exdns.gatewayClasses" -}}
{{- join " " (default (.Values.filters | default dict).gatewayClasses .Values.gatewayClasses) -}}
{{- end -}}
{{- define "exdns.serviceLabelSelectors" -}}
{{- $q := list -}}
{{- range (default (.Values.filters | default dict).serviceLabelSelectors .Values.serviceLabelSelectors) }}{{ $q = append $q (quote .) }}{{ end -}}
{{- join " " $q -}}
{{- end -}}

{{/*
The Corefile. The DNS port is in the server block's address (from `ports.dns`), so the file is
complete on its own: `exdns -conf Corefile` and `exdns validate -conf Corefile` need no flags.
*/}}
{{- define "exdns.corefile" -}}
{{- $zones := splitList " " (include "exdns.zones" .) -}}
{{- $port := int .Values.ports.dns -}}
{{- $keys := list -}}
{{- if .Values.forward.enabled -}}
{{- $keys = list (printf ".:%d" $port) -}}
{{- else -}}
{{- range $zones }}{{ $keys = append $keys (printf "%s:%d" . $port) }}{{ end -}}
{{- end -}}
# Generated by the exdns Helm chart ({{ include "exdns.chart" . }}, release {{ .Release.Name }}).
# Server block: {{ if .Values.forward.enabled }}every name (forward is on){{ else }}the zones only; other names are refused{{ end }}.
{{ join " " $keys }} {
    k8s_gateway {{ join " " $zones }} {
        resources {{ include "exdns.resources" . }}
        apex {{ include "exdns.apex" . }}
        {{- with .Values.secondary }}
        secondary {{ . }}
        {{- end }}
        ttl {{ .Values.ttl }}
        {{- with include "exdns.ingressClasses" . }}
        ingressClasses {{ . }}
        {{- end }}
        {{- with include "exdns.gatewayClasses" . }}
        gatewayClasses {{ . }}
        {{- end }}
        {{- with include "exdns.serviceLabelSelectors" . }}
        serviceLabelSelectors {{ . }}
        {{- end }}
        {{- with .Values.nodeAddressType }}
        nodeAddressType {{ . }}
        {{- end }}
        {{- with .Values.hostnameTargets }}
        hostnameTargets {{ . }}
        {{- end }}
        {{- with .Values.gardenerClass }}
        gardenerClass {{ . }}
        {{- end }}
        {{- if .Values.fallthrough.enabled }}
        fallthrough{{ range .Values.fallthrough.zones }} {{ . }}{{ end }}
        {{- end }}
    }
    health :{{ int .Values.ports.health }}{{ with .Values.lameduck }} {
        lameduck {{ . }}
    }{{ end }}
    ready :{{ int .Values.ports.ready }}
    {{- if .Values.metrics.enabled }}
    prometheus :{{ int .Values.metrics.port }}
    {{- end }}
    {{- if .Values.forward.enabled }}
    forward . {{ join " " .Values.forward.upstreams }}{{ with .Values.forward.options }} {
        {{- range . }}
        {{ . }}
        {{- end }}
    }{{ end }}
    {{- if .Values.forward.loopDetection }}
    loop
    {{- end }}
    {{- end }}
    {{- range .Values.extraZonePlugins }}
    {{ .name }}{{ with .parameters }} {{ . }}{{ end }}{{ with .configBlock }} {
{{ . | trim | indent 8 }}
    }{{ end }}
    {{- end }}
    {{- if .Values.customConfig.enabled }}
    import custom/*.override
    {{- end }}
}
{{- if .Values.customConfig.enabled }}
import custom/*.server
{{- end }}
{{ end -}}
