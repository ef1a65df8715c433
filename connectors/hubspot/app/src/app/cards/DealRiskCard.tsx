import React, { useEffect, useState } from 'react';
import { Alert, Divider, EmptyState, Flex, Heading, List, LoadingSpinner, Statistics, StatisticsItem, Tag, Text, hubspot } from '@hubspot/ui-extensions';
import { BACKEND_URL, CARD_DATA_PATH } from './backend';

interface DealRisk {
  score: number;
  category: 'Low' | 'Medium' | 'High' | 'Critical';
  /** 0..1 */
  winProbability: number | null;
  drivers: string[];
  actions: Array<{ horizon: 'immediate' | 'this_week' | 'ongoing'; text: string }>;
  modelStatus: string;
  scoredAt: string | null;
}

type Load = { state: 'loading' } | { state: 'ready'; risk: DealRisk } | { state: 'unscored' } | { state: 'error'; message: string };

const TAG: Record<DealRisk['category'], 'success' | 'warning' | 'error' | 'default'> = { Low: 'success', Medium: 'default', High: 'warning', Critical: 'error' };
const HORIZON: Record<DealRisk['actions'][number]['horizon'], string> = { immediate: 'Now', this_week: 'This week', ongoing: 'Ongoing' };
const STATUS: Record<string, string> = {
  ok: 'Calibrated on your own won and lost deals.',
  experimental: 'Experimental: few closed deals yet, treat the score as a hint.',
  no_signal: 'No reliable signal in your history yet: the score is not a prediction.',
};

hubspot.extend<'crm.record.sidebar'>(({ context }) => <DealRiskCard dealId={String(context.crm.objectId)} />);

function DealRiskCard({ dealId }: { dealId: string }) {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  useEffect(() => {
    // hubspot.fetch signs the request (X-HubSpot-Signature-v3) and adds portalId, userId and appId
    // to the query; our backend checks the signature and answers for that portal only.
    hubspot
      .fetch(`${BACKEND_URL}${CARD_DATA_PATH}?dealId=${encodeURIComponent(dealId)}`, { method: 'GET', timeout: 10_000 })
      .then(async (res) => {
        if (res.status === 404) return setLoad({ state: 'unscored' });
        if (!res.ok) return setLoad({ state: 'error', message: `dealrisk answered ${res.status}` });
        setLoad({ state: 'ready', risk: (await res.json()) as DealRisk });
      })
      .catch((e: unknown) => setLoad({ state: 'error', message: e instanceof Error ? e.message : String(e) }));
  }, [dealId]);

  if (load.state === 'loading') return <LoadingSpinner label="Loading the deal's risk" />;
  if (load.state === 'unscored') return <EmptyState title="Not scored yet" layout="vertical"><Text>dealrisk scores deals within the hour after they sync.</Text></EmptyState>;
  if (load.state === 'error') return <Alert title="Could not load the risk" variant="error">{load.message}</Alert>;
  const { risk } = load;
  return (
    <Flex direction="column" gap="sm">
      <Statistics>
        <StatisticsItem label="Risk score" number={String(risk.score)} />
        {risk.winProbability !== null && <StatisticsItem label="Win probability" number={`${Math.round(risk.winProbability * 100)}%`} />}
      </Statistics>
      <Tag variant={TAG[risk.category]}>{risk.category} risk</Tag>
      <Heading>Why</Heading>
      <List variant="unordered">{risk.drivers.map((d) => <Text key={d}>{d}</Text>)}</List>
      <Divider />
      <Heading>What to do</Heading>
      <List variant="ordered">{risk.actions.map((a) => <Text key={a.text}><Text inline format={{ fontWeight: 'bold' }}>{HORIZON[a.horizon]}:</Text> {a.text}</Text>)}</List>
      <Text variant="microcopy">{STATUS[risk.modelStatus] ?? `Model status: ${risk.modelStatus}`}{risk.scoredAt ? ` Scored ${new Date(risk.scoredAt).toLocaleString()}.` : ''}</Text>
    </Flex>
  );
}
