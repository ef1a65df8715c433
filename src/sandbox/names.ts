/** Word lists for generated names. Plain fiction: no real people or customers. */

export const COMPANY_HEADS = [
  'Acme', 'Blue Ridge', 'Cobalt', 'Delta', 'Evergreen', 'Falcon', 'Granite', 'Harbor', 'Ironwood', 'Juniper',
  'Keystone', 'Lakeside', 'Meridian', 'Northwind', 'Oakmont', 'Pinnacle', 'Quantum', 'Redwood', 'Summit', 'Tidewater',
  'Union', 'Vanguard', 'Westbrook', 'Xenon', 'Yellowstone', 'Zenith', 'Atlas', 'Beacon', 'Cascade', 'Driftwood',
  'Ember', 'Frontier', 'Golden Gate', 'Highland', 'Insight', 'Jetstream', 'Kingsley', 'Lumen', 'Mosaic', 'Nimbus',
];
export const COMPANY_TAILS = [
  'Systems', 'Holdings', 'Labs', 'Group', 'Partners', 'Industries', 'Health', 'Logistics', 'Capital', 'Media',
  'Foods', 'Energy', 'Analytics', 'Retail', 'Works', 'Networks', 'Solutions', 'Dynamics', 'Bank', 'University',
];
export const FIRST_NAMES = [
  'Ava', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kara', 'Liam', 'Maya', 'Noah',
  'Olga', 'Priya', 'Quinn', 'Rafael', 'Sara', 'Tomas', 'Uma', 'Victor', 'Wen', 'Ximena', 'Yusuf', 'Zoe',
];
export const LAST_NAMES = [
  'Adams', 'Baker', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Kowalski',
  'Lopez', 'Mehta', 'Nakamura', 'Okafor', 'Petrov', 'Quintero', 'Rossi', 'Schmidt', 'Tanaka', 'Usman', 'Varga',
  'Walsh', 'Xu', 'Yilmaz', 'Zimmer',
];
export const TITLES = ['VP Sales', 'CFO', 'CTO', 'Head of Operations', 'IT Director', 'Procurement Manager', 'COO', 'Engineering Lead'];
export const PRODUCTS = ['Platform', 'Analytics Suite', 'Integration Pack', 'Premium Support', 'Data Connectors', 'Seats', 'Security Add-on'];
export const NEXT_STEPS = [
  'Send proposal', 'Schedule demo with IT', 'Security review', 'Pricing call with CFO', 'Legal redlines',
  'Confirm budget', 'Intro to economic buyer', 'Reference call', 'Finalize SOW', 'Follow up on pilot results',
];
export const ACTIVITY_SUBJECTS = ['Call', 'Email', 'Meeting', 'Demo', 'Follow-up email', 'Discovery call'];
export const LOSS_REASONS = ['Price', 'Competitor', 'No budget', 'Timing', 'No decision', 'Went dark'];
export const WIN_REASONS = ['Product fit', 'Relationship', 'Price', 'Timing'];
export const CONTACT_ROLES = ['Decision Maker', 'Economic Buyer', 'Technical Buyer', 'Influencer', 'Evaluator', 'Executive Sponsor'];

export const COUNTRIES: Record<string, Array<{ country: string; code: string; city: string; state?: string }>> = {
  NA: [
    { country: 'United States', code: 'US', city: 'Austin', state: 'TX' },
    { country: 'United States', code: 'US', city: 'Chicago', state: 'IL' },
    { country: 'United States', code: 'US', city: 'Boston', state: 'MA' },
    { country: 'Canada', code: 'CA', city: 'Toronto', state: 'ON' },
  ],
  EMEA: [
    { country: 'United Kingdom', code: 'GB', city: 'London' },
    { country: 'Germany', code: 'DE', city: 'Munich' },
    { country: 'France', code: 'FR', city: 'Lyon' },
    { country: 'Netherlands', code: 'NL', city: 'Utrecht' },
  ],
  APAC: [
    { country: 'Australia', code: 'AU', city: 'Sydney' },
    { country: 'Japan', code: 'JP', city: 'Osaka' },
    { country: 'Singapore', code: 'SG', city: 'Singapore' },
  ],
  LATAM: [
    { country: 'Brazil', code: 'BR', city: 'Sao Paulo' },
    { country: 'Mexico', code: 'MX', city: 'Monterrey' },
  ],
};
